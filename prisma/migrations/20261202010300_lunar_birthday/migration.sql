-- AlterTable
ALTER TABLE "Customer" ADD COLUMN     "lunarBirthDay" SMALLINT,
ADD COLUMN     "lunarBirthMonth" SMALLINT;
