import crypto from "node:crypto";
import fs from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { TendError, describeError } from "../errors.ts";
import { type ControlHello, readMessages, sendMessage } from "./control-messages.ts";

/**
 * The embedded database may be opened by one process at a time; a second Tend on the same folder
 * would corrupt it. The lock is a Unix socket the owner listens on (`tend.sock` in the data folder):
 * only a live process can answer on it, so a crash leaves nothing that blocks the next start (a
 * leftover socket file refuses connections and is replaced), and a recycled pid means nothing.
 * The same socket lets the CLI hand its commands to the running Tend (src/cli/remote-command.ts).
 */
export interface DataDirLock {
  readonly socketPath: string;
  /**
   * From now on connections are handed to `handler` after the greeting: the running Tend serves
   * commands this way. Without it a connection gets the greeting and is closed.
   */
  acceptCommands(handler: (socket: net.Socket) => void): void;
  release(): Promise<void>;
}

/** Another process that holds the data folder, as it introduced itself. */
export interface DataDirHolder {
  hello: ControlHello | null;
  socket: net.Socket;
}

const SOCKET_NAME = "tend.sock";
/** Held only while a process checks for a live owner and binds the socket, so two never both bind. */
const TAKEOVER_NAME = ".tend.sock.takeover";
/** A take-over lasts milliseconds; one older than this was left by a process killed during it. */
const TAKEOVER_STALE_MS = 30_000;
/** How long a greeting may take from a live owner that is busy (e.g. applying migrations). */
const HELLO_TIMEOUT_MS = 5_000;
/** Unix socket paths are limited to about 104 bytes (macOS) or 108 (Linux). */
const MAX_SOCKET_PATH = 100;

export function prepareDataDir(dataDir: string): void {
  const absolute = path.resolve(dataDir);
  try {
    fs.mkdirSync(absolute, { recursive: true });
    const probe = path.join(absolute, `.write-test-${process.pid}`);
    fs.writeFileSync(probe, "");
    fs.rmSync(probe);
  } catch (error) {
    throw new TendError(
      "DATA_DIR_UNWRITABLE",
      `cannot write to the data folder ${absolute} (TEND_DATA_DIR): ${describeError(error)}`,
      { cause: error },
    );
  }
}

/**
 * Where the owner of a data folder listens: in the folder itself, or, when that path is too long
 * for a socket, in a private per-user folder under the system's temporary folder (as tmux does).
 */
export function controlSocketPath(dataDir: string): string {
  // The real path, so that two spellings of one folder (a symbolic link) still meet at one socket.
  const absolute = realPath(path.resolve(dataDir));
  const digest = crypto.createHash("sha256").update(absolute).digest("hex").slice(0, 24);
  if (process.platform === "win32") return `\\\\.\\pipe\\tend-${digest}`;
  const inFolder = path.join(absolute, SOCKET_NAME);
  if (Buffer.byteLength(inFolder) <= MAX_SOCKET_PATH) return inFolder;
  const uid = process.getuid?.() ?? 0;
  const privateDir = path.join(os.tmpdir(), `tend-${uid}`);
  fs.mkdirSync(privateDir, { recursive: true, mode: 0o700 });
  const stat = fs.lstatSync(privateDir);
  if (!stat.isDirectory() || stat.uid !== uid || (stat.mode & 0o077) !== 0) {
    throw new TendError("DATA_DIR_UNSAFE", `${privateDir} must be a folder only you can use (mode 700); remove it or choose a shorter TEND_DATA_DIR`);
  }
  return path.join(privateDir, `${digest}.sock`);
}

function realPath(folder: string): string {
  try {
    return fs.realpathSync(folder);
  } catch {
    return folder;
  }
}

/** Connects to the process holding the data folder; null when none holds it. */
export async function connectToHolder(dataDir: string): Promise<DataDirHolder | null> {
  const socketPath = controlSocketPath(dataDir);
  const socket = await new Promise<net.Socket | null>((resolve, reject) => {
    const attempt = net.createConnection(socketPath);
    attempt.once("connect", () => resolve(attempt));
    attempt.once("error", (error: NodeJS.ErrnoException) => {
      attempt.destroy();
      // No socket, or a socket file nobody listens on any more (its owner died): nobody holds it.
      if (error.code === "ENOENT" || error.code === "ECONNREFUSED" || error.code === "ENOTSOCK") resolve(null);
      else reject(new TendError("DATA_DIR_IN_USE", `cannot reach the process holding the data folder (${socketPath}): ${describeError(error)}`, { cause: error }));
    });
  });
  if (!socket) return null;
  const hello = await new Promise<ControlHello | null>((resolve) => {
    const timer = setTimeout(() => resolve(null), HELLO_TIMEOUT_MS);
    const stop = readMessages(socket, (message) => {
      clearTimeout(timer);
      stop();
      resolve(isHello(message) ? message : null);
    });
    socket.once("close", () => {
      clearTimeout(timer);
      resolve(null);
    });
  });
  return { hello, socket };
}

function isHello(message: unknown): message is ControlHello {
  const m = message as Partial<ControlHello> | null;
  return typeof m === "object" && m !== null && m.type === "hello" && typeof m.pid === "number";
}

export function describeHolder(dataDir: string, hello: ControlHello | null): string {
  const who = hello ? `another Tend process (pid ${hello.pid}, running \`${hello.activity}\`)` : "another Tend process";
  return `the data folder ${path.resolve(dataDir)} (TEND_DATA_DIR) is in use by ${who}`;
}

/**
 * Takes the data folder for this process, or fails with DATA_DIR_IN_USE when a live process has it.
 * `activity` is what the greeting tells others this process is doing (e.g. "tend start").
 */
export async function lockDataDir(dataDir: string, activity: string): Promise<DataDirLock> {
  const absolute = path.resolve(dataDir);
  const socketPath = controlSocketPath(absolute);
  const releaseTakeover = await takeTakeover(path.join(absolute, TAKEOVER_NAME));
  try {
    const holder = await connectToHolder(absolute);
    if (holder) {
      holder.socket.destroy();
      throw new TendError("DATA_DIR_IN_USE", `${describeHolder(absolute, holder.hello)}; stop it or choose another folder`);
    }
    // Nobody answers: whatever is at the path was left by a process that has died.
    if (process.platform !== "win32") fs.rmSync(socketPath, { force: true });
    const lock = await listenOn(socketPath, activity);
    // The pid file earlier versions locked with; its pid may belong to another program by now.
    fs.rmSync(path.join(absolute, "tend.lock"), { force: true });
    return lock;
  } finally {
    releaseTakeover();
  }
}

async function takeTakeover(file: string): Promise<() => void> {
  const deadline = Date.now() + TAKEOVER_STALE_MS + HELLO_TIMEOUT_MS;
  for (;;) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: "wx", mode: 0o600 });
      return () => fs.rmSync(file, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") {
        throw new TendError("DATA_DIR_UNWRITABLE", `cannot lock the data folder (TEND_DATA_DIR): ${describeError(error)}`, { cause: error });
      }
    }
    const age = fileAge(file);
    if (age !== null && age > TAKEOVER_STALE_MS) fs.rmSync(file, { force: true });
    else if (Date.now() > deadline) throw new TendError("DATA_DIR_IN_USE", `cannot take the lock on ${path.dirname(file)}: ${file} stays in the way`);
    else await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function fileAge(file: string): number | null {
  try {
    return Date.now() - fs.statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

function listenOn(socketPath: string, activity: string): Promise<DataDirLock> {
  let handler: ((socket: net.Socket) => void) | undefined;
  const connections = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    connections.add(socket);
    socket.on("close", () => connections.delete(socket));
    socket.on("error", () => socket.destroy());
    const hello: ControlHello = { type: "hello", pid: process.pid, activity, commands: handler !== undefined };
    sendMessage(socket, hello);
    if (handler) handler(socket);
    else socket.end();
  });
  return new Promise((resolve, reject) => {
    server.once("error", (error) =>
      reject(new TendError("DATA_DIR_UNWRITABLE", `cannot lock the data folder (TEND_DATA_DIR): ${describeError(error)}`, { cause: error })),
    );
    server.listen(socketPath, () => {
      // Same user only: commands sent here act on the database with this process's rights.
      if (process.platform !== "win32") fs.chmodSync(socketPath, 0o600);
      server.removeAllListeners("error");
      server.on("error", () => {});
      let released: Promise<void> | undefined;
      resolve({
        socketPath,
        acceptCommands(next) {
          handler = next;
        },
        release: () =>
          (released ??= new Promise<void>((done) => {
            for (const socket of connections) socket.destroy();
            // Closing the server removes the socket file.
            server.close(() => done());
          })),
      });
    });
  });
}
