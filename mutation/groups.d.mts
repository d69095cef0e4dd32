/** See groups.mjs: the files mutation testing covers, by group, and the tests each group runs. */
export declare const groups: readonly {
  readonly name: string;
  readonly mutate: readonly string[];
  readonly tests: readonly string[];
  readonly table?: boolean;
}[];
