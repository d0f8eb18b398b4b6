import { pickleCodeExecution } from "./code-execution";
import { pickleUnknownImport } from "./unknown-import";

export const pickleRules = [pickleCodeExecution, pickleUnknownImport];
