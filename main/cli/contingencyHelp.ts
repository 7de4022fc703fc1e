/** Help text of `headroom contingency` (kept apart so `headroom help` loads no simulator). */
export const CONTINGENCY_HELP = `  headroom contingency [--scenario NAME|FILE] [--scale N] [--seed N] [--at SECONDS] [--maintenance ID[,ID…]] [--json]
                               N-1 analysis of the scenario's plant: run it --at seconds (default 300) under POLCA,
                               then for every single failure (feed, UPS, UPS module, switchboard, busway, rack PDU):
                               what overloads, seconds to trip, the caps that prevent it, their cost, in time or not;
                               --maintenance: the same with those devices out of service (UPS2, UPS1/module …)`;

export const PLANT_HELP = `  headroom plant import netbox --feeds F --upstream upstream.yaml [--panels F] [--racks F --site SLUG]
               [--ports F [--devices F]] [--scenario NAME|FILE] [--scale N] --out plant.yaml
                               the plant's rack feeds from NetBox's REST answers or exports (JSON; a paged answer:
                               every page, as several files or appended to one; repeat an option per file):
                               /api/dcim/power-feeds/ (primary → A side, redundant → B side) under an upstream plant
                               (feeds, UPS, one device per power panel); power-panels/ and racks/ check names and
                               sites; power-ports/ (with devices/ for their racks) sum each rack's allocated draw and
                               warn where it exceeds what its feed carries continuously
  headroom plant import yaml --in site-dcim.yaml [--scenario NAME|FILE] [--scale N]
               --out plant.yaml
                               the plant from Headroom's DCIM inventory: feeds, UPS, panels / switchboards / busways
                               (amps, volts, breaker curve), racks with their A and B panel (README: Plant import)
                               Both check the plant against the site and write it atomically; any problem: one line
                               naming the file, the object and the field, exit 2, nothing written`;

export const USERS_HELP = `  headroom users add NAME --role viewer|operator|admin --file users.yaml
                               a person for serve --users: prints their token once, stores its SHA-256
  headroom users list --file users.yaml`;

export const DRILL_HELP = `  headroom drill list          the drill library (plant failures, cooling, feeds, load spikes, blackout, combined)
  headroom drill run NAME --auto [--out report.json] [--seed N] [--warm S]
                               the drill on its site after S s (default 300): Headroom's controller scored beside
                               nobody responding (score, detectS, firstActionS, overBudgetS, maxInletC, maxGpuC,
                               brakes, sloImpact; docs/SCENARIOS.md "Drills")`;
