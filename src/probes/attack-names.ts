// The attacks `aigis probe --attack` accepts, apart from run.ts so the CLI can list them
// without loading TensorFlow.js.
export const ATTACK_NAMES = ["fgsm", "pgd", "square", "hopskipjump"] as const;
export type AttackName = (typeof ATTACK_NAMES)[number];
