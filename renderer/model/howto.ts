import type { View } from '../stores/ui.js';

/** One paragraph per view: how to read it (the `?` sheet shows the current view's first). */
export const HOW_TO_READ: Record<View, { title: string; text: string }> = {
  floor: {
    title: 'Floor',
    text: 'Every rack of every row, coloured by the metric you pick (default: its power as a share of the rack budget; green under 60 %, amber to 80 %, red beyond). The row label on the left gives the row\'s power against the budget in force, the controller\'s stage (normal, T1, T2, BRAKE; DEEP for Headroom\'s deep lock) and its worst single failure (N-1). Hatched cells are braked, marked ones capped by a playbook, an operator or automation (the legend says which). Click selects, Shift-click a range, Ctrl-click adds; a row\'s label selects the row; double-click opens a rack.',
  },
  rack: {
    title: 'Rack',
    text: 'One rack, server by server and GPU by GPU: power, temperature, clock and limit now, with what is requested of each GPU, by whom (automation, an operator\'s override, an emergency) and why, and what is in effect (commands take time to land: out-of-band caps up to 40 s). Hot GPUs are tinted amber within 5 °C of slowdown, red beyond.',
  },
  power: {
    title: 'Power',
    text: 'Each row (or each rack of a row) against its budget over the window you pick: the solid red line is 100 % of the budget in force at each instant (a lost feed is a step down, never today\'s value drawn across the past), the dashed ones 90 % and 80 %. Opened from an alert, the alert\'s row is drawn thicker and a red line marks when it fired. History comes from the store (10 s or 60 s averages), then live.',
  },
  audit: {
    title: 'Audit',
    text: 'Every action, newest first: who (a person, or a role\'s token), what, the value before and after, why, when (wall clock and simulated) and the outcome — refusals included. Records are hash-chained: Verify checks the chain; Export writes CSV.',
  },
  planner: {
    title: 'Planner',
    text: 'How many servers a row provisioned for 40 can hold under each policy: brakes per hour, seconds over budget and the high- and low-priority throughput and p99 latency against an unconstrained row, per server count. The knee — where brakes begin — is the oversubscription a policy buys. Placement: where the next GPUs should go — idle servers ranked by the row power and inlet headroom left after placing them, learnt from this run\'s stored history, beside first fit.',
  },
  policy: {
    title: 'Policy',
    text: 'The controller\'s thresholds (T1, T2, the brake at 100 %), the clocks it locks per priority and GPU model, the actuation paths and their latencies, and the emergency playbooks. Changes are validated, shown as a diff, and audited; admins only.',
  },
  sources: {
    title: 'Sources',
    text: 'Where telemetry comes from: the simulator, or on a real fleet the host agents, dcgm-exporters and Prometheus servers, each with its state (up, stale, down), the age of its last sample and its last error. A stale source\'s GPUs count at their power limit.',
  },
  replay: {
    title: 'Replay',
    text: 'A saved incident re-simulated through another policy: the same demand and drills, row by row, as recorded beside the counterfactual, with brakes, time over budget and throughput for each. The reproduction gap (as recorded vs the recording) says how far to trust the comparison.',
  },
  plant: {
    title: 'Plant',
    text: 'The feeds, UPSs, switchboards, busways, PDUs and cooling the budgets come from, and every single failure analysed against the last minute\'s peak load: unsafe (something trips before Headroom\'s response lands, or racks lose supply), caps armed (the response lands in time), or harmless. Plan a maintenance window by taking devices out and analysing what the next failure would do.',
  },
  workflows: {
    title: 'Workflows',
    text: 'Each declared AI workflow at this minute of the simulated day: the plan the planner chose for the least energy per request within its SLO — per task the model, GPUs, clock and instances —, what it draws, its energy per request and its share of requests within the target. Move the power budget below 100 % to see what the planner would run instead, or how much load it would have to shed when no plan fits. Profiles are physics from datasheets, not measurements.',
  },
  grid: {
    title: 'Grid',
    text: 'What the utility sees at the point of interconnection: site power at its source\'s full rate, its ramp against the limit, the largest swing within the utility\'s window, and the spectrum with the critical band shaded (its share of the energy against the limit, and its RMS in MW — a share alone improves with noise). The source line says its rate and what it can show: per-GPU readings at 1 Hz cannot show the 0.5–20 Hz band; a grid meter can. Beside the spectrum, the jobs that swing the site most.',
  },
};

/** Keys that work everywhere, and on the floor. */
export const KEYS: Array<[string, string]> = [
  ['1 … 9, 0', 'Floor, Rack, Power, Alerts, Audit, Planner, Policy, Sources, Replay, Plant'],
  ['?', 'this sheet'],
  ['Esc', 'close a dialog; back from a rack to the floor; clear the selection'],
  ['← → ↑ ↓', 'move on the floor'],
  ['Space', 'select the rack under the cursor'],
  ['Enter', 'open the rack, or the alert, under the cursor'],
  ['Shift-click', 'select a range of racks'],
  ['Ctrl-click', 'add or remove a rack'],
];

/** What the marks and words on screen mean. */
export const LEGENDS: Array<[string, string]> = [
  ['T1 / T2', 'POLCA\'s stages: above 80 % low-priority GPUs are clock-locked; above 89 % harder, then high priority'],
  ['BRAKE', 'the power brake: every GPU of the row at its lowest clock (~5 s to land); by hand it says who'],
  ['DEEP', 'Headroom\'s deep lock: brakes recurred, so the row is locked deeper until it has held'],
  ['shed N', 'even the deep lock leaves the row above its budget: shed N servers (a recommendation)'],
  ['FP8 / small model', 'TAPAS (serve --tapas): the row\'s SaaS instances reconfigured before caps, at a quality cost; hover for why'],
  ['N-1', 'the row\'s worst single failure of the plant: ok, caps armed, or UNSAFE'],
  ['critical / warning / info', 'alert severities; a card with × N groups N alerts of one rule on one row'],
  ['commanded / landed', 'caps sent to GPUs, and those in effect (out-of-band caps take up to 40 s)'],
  ['DRILL', 'a drill is running: its events are simulated, and it will be scored at its end'],
];
