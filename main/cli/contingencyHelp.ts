/** Help text of `headroom contingency` (kept apart so `headroom help` loads no simulator). */
export const CONTINGENCY_HELP = `  headroom contingency [--scenario NAME|FILE] [--scale N] [--seed N] [--at SECONDS] [--maintenance ID[,ID…]] [--json]
                               N-1 analysis of the scenario's plant: run it --at seconds (default 300) under POLCA,
                               then for every single failure (feed, UPS, UPS module, switchboard, busway, rack PDU):
                               what overloads, seconds to trip, the caps that prevent it, their cost, in time or not;
                               --maintenance: the same with those devices out of service (UPS2, UPS1/module …)`;

export const PLANT_HELP = `  headroom plant import netbox --feeds power-feeds.json --upstream upstream.yaml [--scenario NAME|FILE] --out plant.yaml
                               the plant's rack feeds from NetBox (/api/dcim/power-feeds/ JSON: primary → A side,
                               redundant → B side) under an upstream plant (feeds, UPS, one device per power panel)`;
