// The RuleTester is part of the public API (`aigis/testing`); the tests use the same one.
export { collect, runRuleTests, RuleTester, type Collected, type ExpectedFinding, type RuleTestCases } from "../../src/testing/rule-tester";
