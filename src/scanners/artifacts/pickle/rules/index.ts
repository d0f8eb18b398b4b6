import { pickleCodeExecution } from "./code-execution";
import { pickleFrameViolation } from "./frame-violation";
import { pickleUnknownImport } from "./unknown-import";

export const pickleRules = [pickleCodeExecution, pickleUnknownImport, pickleFrameViolation];
