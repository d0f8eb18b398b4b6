// Every subcommand. A new one is a file in this folder and one line here.
import type { Command } from "commander";
import type { CliIO, CommandOutcome } from "../io";
import { register as explain } from "./explain";
import { register as merge } from "./merge";
import { register as report } from "./report";
import { register as rules } from "./rules";
import { register as probe } from "./probe";
import { register as scan } from "./scan";
import { register as verify } from "./verify";

export type RegisterCommand = (program: Command, io: CliIO, outcome: CommandOutcome) => void;

export const COMMANDS: RegisterCommand[] = [scan, probe, verify, rules, explain, report, merge];
