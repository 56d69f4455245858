/**
 * Words that mark a survey reason as a complaint someone should look at, whatever the score.
 * English matches whole words (so "breakfast" is not "break"), Chinese as substrings since
 * Chinese has no spaces between words.
 */
const englishPatterns = [
  "refund(?:s|ed|ing)?",
  "broken",
  "terrible",
  "awful",
  "horrible",
  "worst",
  "complain(?:s|ed|ing|t|ts)?",
  "scam(?:med)?",
  "fraud",
  "rude",
  "disgusting",
  "damaged",
  "defective",
  "faulty",
  "unacceptable",
  "never again",
  "(?:not|never) working",
  "(?:doesn|didn|don|won)['’]?t work",
  "(?:does|did) not work",
];

const chineseWords = [
  "投诉",
  "退款",
  "退货",
  "差评",
  "太差",
  "很差",
  "质量差",
  "态度差",
  "坏了",
  "破损",
  "骗子",
  "欺诈",
  "假货",
  "垃圾",
  "恶心",
  "不满意",
];

// A Latin letter or digit on either side means the match is part of a longer word; Chinese
// characters, emoji and punctuation around an English word do not ("我要refund!" counts).
const english = englishPatterns.map(
  (pattern) => new RegExp(`(?<![\\p{Script=Latin}\\p{Nd}_])(?:${pattern.replace(/ /g, "\\s+")})(?![\\p{Script=Latin}\\p{Nd}_])`, "iu"),
);

/** The complaint words found in `text` (as listed above), empty when none. */
export function complaintWordsIn(text: string): string[] {
  // NFKC folds full-width letters (ＲＥＦＵＮＤ) and compatibility forms into the plain ones.
  const normalized = text.normalize("NFKC");
  const found: string[] = [];
  for (const regex of english) {
    const match = regex.exec(normalized);
    if (match) found.push(match[0].toLowerCase().replace(/\s+/g, " "));
  }
  for (const word of chineseWords) if (normalized.includes(word)) found.push(word);
  return found;
}

export function isComplaint(text: string): boolean {
  return complaintWordsIn(text).length > 0;
}
