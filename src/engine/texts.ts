import { lunarMonthDayZh, lunarMonthNameZh } from "../calendar/index.ts";
import type { CustomerLanguage } from "../feedback/locale.ts";

/**
 * Everything the conversation says, in both languages. Functions take the values they show;
 * names shown here come from customers and are plain text (adapters escape them for markup).
 */
/** A lunar birthday as the profile shows it: its Gregorian date this year, or the next one when this year has none. */
export interface LunarBirthdayShown {
  month: number;
  day: number;
  thisYear: string | null;
  next: string | null;
}

const lunarEn = (l: LunarBirthdayShown) =>
  `lunar ${l.month}-${l.day} (${l.thisYear ? `this year: ${l.thisYear}` : `none this year; next: ${l.next ?? "-"}`})`;
const lunarZh = (l: LunarBirthdayShown) =>
  `农历${lunarMonthDayZh(l.month, l.day)}（${l.thisYear ? `今年：${l.thisYear}` : `今年没有；下次：${l.next ?? "-"}`}）`;

const en = {
  welcome: (name: string | null) => `Hi${name ? ` ${name}` : ""}! I can show your points and rewards, take your feedback, or get you a person.`,
  menuHint: "What would you like to do?",
  buttonPoints: "My points",
  buttonRewards: "Rewards",
  buttonRate: "Rate us",
  buttonAgent: "Talk to a person",
  buttonConfirm: "Yes, confirm",
  buttonCancel: "Cancel",
  fallback: "Sorry, I did not understand that. Here is what I can do:",
  emptyMessage: "I received an empty message. Here is what I can do:",
  tooLong: (max: number) => `That message is too long for me (over ${max} characters). Please send a shorter one.`,
  points: (balance: number, tier: string) => `You have ${balance} points. Your tier: ${tier}.`,
  // What the tier thresholds are compared with, so "540 points, Bronze, 460 more" adds up.
  tierCountsPoints: (months: number, progress: number) => `Your tier counts the points earned in the last ${months} months: ${progress} so far.`,
  tierCountsSpend: (months: number, progress: number) => `Your tier counts the amount spent in the last ${months} months: ${progress} so far.`,
  nextTierPoints: (missing: number, name: string) => `${missing} more points to reach ${name}.`,
  nextTierSpend: (missing: number, name: string) => `Spend ${missing} more to reach ${name}.`,
  topTier: "You are at our top tier. Thank you!",
  expiring: (points: number, date: string) => `${points} points expire by ${date}.`,
  rewardsHeader: (balance: number) => `Rewards you can choose (you have ${balance} points):`,
  rewardLine: (name: string, cost: number) => `• ${name}: ${cost} points`,
  noRewards: "There are no rewards to choose from right now.",
  rewardUnknown: (code: string) => `I don't know a reward called "${code}". Here are the rewards:`,
  rewardInactive: (name: string) => `${name} is not available at the moment.`,
  confirmRedeem: (name: string, cost: number, balance: number) =>
    `Redeem ${name} for ${cost} points? You have ${balance} points; ${balance - cost} would remain.`,
  insufficient: (name: string, cost: number, balance: number) =>
    `${name} needs ${cost} points and you have ${balance}: ${cost - balance} more to go.`,
  redeemed: (name: string, balance: number) => `Done! You redeemed ${name}. ${balance} points left. We will be in touch about it.`,
  alreadyRedeemed: (name: string) => `That was already done: ${name} is redeemed once. Nothing more was taken.`,
  redeemNotCancellable: (name: string) =>
    `${name} is already redeemed, so it cannot be cancelled here. If you need it undone, send "agent" to talk to a person.`,
  cancelled: "Cancelled. Nothing was changed.",
  confirmationExpired: "That confirmation has expired or was already used. Nothing was changed.",
  birthdaySet: (date: string) => `Saved: your birthday is ${date}.`,
  birthdayInvalid: "Please give your birthday as YYYY-MM-DD, for example: birthday 1990-05-12",
  lunarBirthdaySet: (lunar: LunarBirthdayShown, leap: boolean) =>
    `Saved: your birthday is ${lunarEn(lunar)}.` +
    (leap ? ` A leap-month birthday is celebrated in the regular month ${lunar.month}.` : "") +
    (lunar.day === 30 ? " In years when that month has 29 days, it falls on the 29th." : ""),
  lunarBirthdayInvalid: "Please give your lunar birthday as month-day, for example: birthday lunar 8-15 (or: 农历生日 八月十五)",
  timeZoneSet: (zone: string) => `Saved: your time zone is ${zone}.`,
  timeZoneInvalid: "I don't know that time zone. Please use a name like Europe/London or Asia/Shanghai.",
  quietSet: (from: string, to: string) => `Saved: no care messages between ${from} and ${to} your time.`,
  quietOff: "Saved: no quiet hours.",
  quietInvalid: "Please give quiet hours as HH:MM-HH:MM, for example: quiet 22:00-08:00 (or: quiet off)",
  frequencySet: (n: number) => (n === 0 ? "Saved: no care messages." : `Saved: at most ${n} care message${n === 1 ? "" : "s"} a week.`),
  frequencyInvalid: "Please give a number from 0 to 14, for example: frequency 2",
  languageSet: "Saved: I will write in English.",
  profile: (p: { birthday: string | null; lunarBirthday: LunarBirthdayShown | null; timeZone: string; quiet: string | null; perWeek: number; care: boolean }) =>
    [
      "Your settings:",
      `• Birthday: ${p.lunarBirthday ? `${lunarEn(p.lunarBirthday)} (birthday lunar M-D)` : `${p.birthday ?? "not set"} (birthday YYYY-MM-DD, or: birthday lunar M-D)`}`,
      `• Time zone: ${p.timeZone} (timezone Area/City)`,
      `• Quiet hours: ${p.quiet ?? "none"} (quiet 22:00-08:00)`,
      `• Care messages: ${p.care ? `at most ${p.perWeek} a week (frequency N)` : "off (send START to resume)"}`,
    ].join("\n"),
  stopped: "You will get no more messages you did not ask for (care, offers, surveys). Send START to resume at any time.",
  started: "Welcome back: the messages you had agreed to are on again. Send STOP to stop them at any time.",
  confirmErase: "This erases your personal data and message texts for good; your points and history cannot be restored. Are you sure?",
  erased: "Your personal data has been erased. If you write again, we will treat you as a new customer.",
  linkIssued: (code: string, minutes: number) =>
    `Your link code is ${code}. On your other chat app, send: link ${code} (valid for ${minutes} minutes).`,
  linked: "Linked! Both chats now share one profile, points and history.",
  linkExpired: "That link code has expired. Ask for a new one with: link",
  linkUnknown: "I don't know that link code. Please check it and try again.",
  linkSame: "That code belongs to this chat already: send it on your other chat app.",
  linkRateLimited: "Too many wrong codes. Please wait a few minutes and try again.",
  handedOver: "I've asked a member of our team to take over. They will reply here soon.",
  alreadyHandedOver: "A member of our team is already looking after this conversation.",
  surveyRefused: "Thank you, but there is no survey for you right now.",
  surveyNoConsent: "You have turned off surveys. Send START to turn them back on.",
  unknownAction: "That button is no longer available. Here is what I can do:",
  feedbackThanks: "Thank you for your feedback! We have passed it to our team.",
  failure: "Sorry, something went wrong on our side. Please try again in a moment.",
};

export type Texts = typeof en;

const zh: Texts = {
  welcome: (name) => `您好${name ? `，${name}` : ""}！我可以帮您查询积分和奖励、收集您的反馈，或为您转接人工客服。`,
  menuHint: "请问需要什么帮助？",
  buttonPoints: "我的积分",
  buttonRewards: "奖励",
  buttonRate: "评价我们",
  buttonAgent: "人工客服",
  buttonConfirm: "确认",
  buttonCancel: "取消",
  fallback: "抱歉，我没有理解。我可以为您做这些：",
  emptyMessage: "收到一条空消息。我可以为您做这些：",
  tooLong: (max) => `消息太长了（超过 ${max} 个字符），请发送短一些的消息。`,
  points: (balance, tier) => `您有 ${balance} 积分，当前等级：${tier}。`,
  tierCountsPoints: (months, progress) => `等级按最近 ${months} 个月获得的积分计算，目前为 ${progress}。`,
  tierCountsSpend: (months, progress) => `等级按最近 ${months} 个月的消费金额计算，目前为 ${progress}。`,
  nextTierPoints: (missing, name) => `再获得 ${missing} 积分即可升级为 ${name}。`,
  nextTierSpend: (missing, name) => `再消费 ${missing} 即可升级为 ${name}。`,
  topTier: "您已是最高等级，感谢您的支持！",
  expiring: (points, date) => `${points} 积分将于 ${date} 前过期。`,
  rewardsHeader: (balance) => `可兑换的奖励（您有 ${balance} 积分）：`,
  rewardLine: (name, cost) => `• ${name}：${cost} 积分`,
  noRewards: "目前没有可兑换的奖励。",
  rewardUnknown: (code) => `没有找到名为“${code}”的奖励。可兑换的奖励如下：`,
  rewardInactive: (name) => `${name} 暂时无法兑换。`,
  confirmRedeem: (name, cost, balance) => `确认用 ${cost} 积分兑换 ${name} 吗？您有 ${balance} 积分，兑换后剩余 ${balance - cost} 积分。`,
  insufficient: (name, cost, balance) => `${name} 需要 ${cost} 积分，您目前有 ${balance} 积分，还差 ${cost - balance} 积分。`,
  redeemed: (name, balance) => `兑换成功！您已兑换 ${name}，剩余 ${balance} 积分。我们会尽快与您联系。`,
  alreadyRedeemed: (name) => `该兑换已完成：${name} 只兑换一次，没有重复扣除积分。`,
  redeemNotCancellable: (name) => `${name} 已兑换完成，无法在这里取消。如需撤销，请发送“人工”联系客服。`,
  cancelled: "已取消，没有做任何更改。",
  confirmationExpired: "该确认已过期或已使用，没有做任何更改。",
  birthdaySet: (date) => `已保存：您的生日是 ${date}。`,
  birthdayInvalid: "请按 YYYY-MM-DD 格式输入生日，例如：生日 1990-05-12",
  lunarBirthdaySet: (lunar, leap) =>
    `已保存：您的生日是${lunarZh(lunar)}。` +
    (leap ? `闰月生日在当年的（非闰）${lunarMonthNameZh(lunar.month)}庆祝。` : "") +
    (lunar.day === 30 ? "该月只有二十九天的年份，在二十九日庆祝。" : ""),
  lunarBirthdayInvalid: "请按月-日输入农历生日，例如：农历生日 八月十五（或：农历生日 8-15）",
  timeZoneSet: (zone) => `已保存：您的时区是 ${zone}。`,
  timeZoneInvalid: "无法识别该时区，请使用如 Asia/Shanghai 的名称。",
  quietSet: (from, to) => `已保存：每天 ${from} 至 ${to}（您当地时间）不发送关怀消息。`,
  quietOff: "已保存：不设免打扰时段。",
  quietInvalid: "请按 HH:MM-HH:MM 格式输入免打扰时段，例如：免打扰 22:00-08:00（或：免打扰 关闭）",
  frequencySet: (n) => (n === 0 ? "已保存：不接收关怀消息。" : `已保存：每周最多 ${n} 条关怀消息。`),
  frequencyInvalid: "请输入 0 到 14 之间的数字，例如：频率 2",
  languageSet: "已保存：我将使用中文回复。",
  profile: (p) =>
    [
      "您的设置：",
      `• 生日：${p.lunarBirthday ? `${lunarZh(p.lunarBirthday)}（农历生日 八月十五）` : `${p.birthday ?? "未设置"}（生日 YYYY-MM-DD，或：农历生日 八月十五）`}`,
      `• 时区：${p.timeZone}（时区 Asia/Shanghai）`,
      `• 免打扰：${p.quiet ?? "无"}（免打扰 22:00-08:00）`,
      `• 关怀消息：${p.care ? `每周最多 ${p.perWeek} 条（频率 N）` : "已关闭（发送“订阅”恢复）"}`,
    ].join("\n"),
  stopped: "您将不再收到任何您未主动请求的消息（关怀、优惠、问卷）。随时发送“订阅”即可恢复。",
  started: "欢迎回来：您之前同意接收的消息已恢复。随时发送“退订”即可停止。",
  confirmErase: "此操作将永久删除您的个人数据和消息内容，积分和记录无法恢复。确定要删除吗？",
  erased: "您的个人数据已删除。如果您再次发消息，我们会将您视为新客户。",
  linkIssued: (code, minutes) => `您的绑定码是 ${code}。请在另一个聊天应用中发送：绑定 ${code}（${minutes} 分钟内有效）。`,
  linked: "绑定成功！两个聊天现在共用一个账户、积分和记录。",
  linkExpired: "该绑定码已过期。发送“绑定”获取新的绑定码。",
  linkUnknown: "无法识别该绑定码，请检查后重试。",
  linkSame: "该绑定码属于当前聊天，请在另一个聊天应用中发送。",
  linkRateLimited: "错误次数过多，请稍等几分钟再试。",
  handedOver: "已为您转接人工客服，工作人员会尽快在这里回复您。",
  alreadyHandedOver: "工作人员已在处理您的对话。",
  surveyRefused: "谢谢，目前没有需要您填写的问卷。",
  surveyNoConsent: "您已关闭问卷。发送“订阅”即可重新开启。",
  unknownAction: "该按钮已失效。我可以为您做这些：",
  feedbackThanks: "感谢您的反馈！我们已转交给团队。",
  failure: "抱歉，我们这边出了点问题，请稍后再试。",
};

const dictionaries: Record<CustomerLanguage, Texts> = { en, "zh-CN": zh };

export function textsFor(language: CustomerLanguage): Texts {
  return dictionaries[language];
}
