// jest setupFilesAfterEnv: every temp folder a test file makes with fs.mkdtempSync is removed
// when the file's tests end, pass or fail (test/helpers/temp.ts).
import { removeTempDirs, trackTempDirs } from "./temp";

trackTempDirs();
afterAll(removeTempDirs);
