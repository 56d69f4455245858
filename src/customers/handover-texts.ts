import type { CustomerLanguage } from "../feedback/locale.ts";

/** What the customer is told when a person takes their conversation over, and when the bot has it back. */
export const handoverTexts: Record<CustomerLanguage, { takenOver: (staffName: string) => string; released: string }> = {
  en: {
    takenOver: (staffName) => `${staffName} from our team has joined the conversation and will answer you here.`,
    released: "Our team has handed you back to the assistant. Type \"help\" for the menu, or \"agent\" to reach a person again.",
  },
  "zh-CN": {
    takenOver: (staffName) => `我们的工作人员 ${staffName} 已加入对话，会在这里回复您。`,
    released: "人工客服已结束，您现在由智能助手继续服务。输入“帮助”查看菜单，或输入“人工”再次联系工作人员。",
  },
};
