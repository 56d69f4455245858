/**
 * What a free-text message asks for, by keywords and patterns in English and Chinese. Pure and
 * small on purpose: the router decides what to do, this only recognises.
 */
export type Intent =
  | { kind: "help" }
  | { kind: "points" }
  | { kind: "rewards" }
  | { kind: "redeem"; reward: string | null }
  | { kind: "rate" }
  | { kind: "agent" }
  | { kind: "stop" }
  | { kind: "start" }
  | { kind: "export" }
  | { kind: "erase" }
  | { kind: "profile" }
  | { kind: "birthday"; value: string }
  | { kind: "lunarBirthday"; value: string }
  | { kind: "timezone"; value: string }
  | { kind: "quiet"; value: string }
  | { kind: "frequency"; value: string }
  | { kind: "language"; language: "en" | "zh-CN" }
  | { kind: "link"; code: string | null };

/** NFKC folds full-width letters and digits (ＳＴＯＰ, １９９０) into their plain forms. */
export function normalise(text: string): string {
  return text.normalize("NFKC").trim().replace(/\s+/g, " ");
}

const exact: Array<[RegExp, Intent]> = [
  [/^(\/start|\/help|\/menu|help|menu|hi|hello|hey|帮助|菜单|你好|您好)[!！.。]?$/i, { kind: "help" }],
  [/^(\/points|points?|my points|balance|tier|my tier|积分|我的积分|等级|我的等级)[?？]?$/i, { kind: "points" }],
  [/^(\/rewards|rewards?|catalog(ue)?|奖励|奖品|礼品)[?？]?$/i, { kind: "rewards" }],
  [/^(\/feedback|rate us|rate|feedback|survey|评价|评价我们|反馈)$/i, { kind: "rate" }],
  [/^(agent|human|person|talk to a person|real person|operator|人工|人工客服|转人工|客服)$/i, { kind: "agent" }],
  // "Stop." and "STOP!" must work too: a stop request is never lost to punctuation.
  [/^(stop|unsubscribe|stop all|退订|取消订阅)[!！.。]?$/i, { kind: "stop" }],
  [/^(start|subscribe|resume|订阅|恢复订阅)[!！.。]?$/i, { kind: "start" }],
  [/^(my data|export( my data)?|我的数据|导出数据|导出我的数据)$/i, { kind: "export" }],
  [/^(delete my data|erase my data|forget me|删除我的数据|删除数据)$/i, { kind: "erase" }],
  [/^(profile|settings|my settings|设置|我的设置|个人资料)$/i, { kind: "profile" }],
  [/^(english|language en|lang en)$/i, { kind: "language", language: "en" }],
  [/^(中文|language zh|lang zh|language zh-cn|语言 中文)$/i, { kind: "language", language: "zh-CN" }],
];

// An English keyword must end where its word ends ("linkedin" is not "link CODE", "birthdays
// are fun" is no birthday); Chinese needs no space before the value. A keyword without a value
// still counts, so its handler can answer with the hint.
const withValue: Array<[RegExp, (value: string) => Intent]> = [
  [/^(?:redeem(?![a-z])|兑换)\s*[:：]?\s*(.*)$/i, (v) => ({ kind: "redeem", reward: v || null })],
  // Before the plain birthday: "birthday lunar 8-15", "my lunar birthday is 八月十五", "农历生日 八月十五", "生日 农历8-15".
  [
    /^(?:birthday lunar(?![a-z])|(?:my )?lunar birthday(?: is)?(?![a-z])|(?:农历|阴历|農曆|陰曆)生日|生日\s*(?=农历|阴历))\s*[:：]?\s*(.*)$/i,
    (v) => ({ kind: "lunarBirthday", value: v }),
  ],
  [/^(?:my birthday is(?![a-z])|birthday(?![a-z])|生日)\s*[:：]?\s*(.*)$/i, (v) => ({ kind: "birthday", value: v })],
  [/^(?:time ?zone(?![a-z])|tz(?![a-z])|时区)\s*[:：]?\s*(.*)$/i, (v) => ({ kind: "timezone", value: v })],
  [/^(?:quiet(?: hours)?(?![a-z])|免打扰)\s*[:：]?\s*(.*)$/i, (v) => ({ kind: "quiet", value: v })],
  [/^(?:frequency(?![a-z])|频率)\s*[:：]?\s*(.*)$/i, (v) => ({ kind: "frequency", value: v })],
  [/^(?:link(?![a-z])|绑定)\s*[:：]?\s*(.*)$/i, (v) => ({ kind: "link", code: v || null })],
];

export function recogniseIntent(text: string): Intent | null {
  const clean = normalise(text);
  for (const [pattern, intent] of exact) if (pattern.test(clean)) return intent;
  for (const [pattern, make] of withValue) {
    const match = pattern.exec(clean);
    if (match) return make((match[1] ?? "").trim());
  }
  return null;
}

/** True when the text is mostly written in Chinese characters: a hint for a new customer's language. */
export function looksChinese(text: string): boolean {
  return /\p{Script=Han}/u.test(text);
}
