/**
 * A small HTTP proxy on 127.0.0.1 for the SDK's tests: it forwards every
 * HTTP request to the engine, serves a few files of its own (a test page,
 * so that the page and the API share an origin), and forwards WebSocket
 * upgrades — or refuses them with 502, or holds them unanswered, as a
 * corporate proxy might. `upgrades` can be switched at any time.
 *
 * To extend: add a mode or a counter here; keep it a plain pass-through.
 */
import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { connect, type Socket } from "node:net";

export type UpgradeMode = "allow" | "refuse" | "hang";

export interface ProxyFile {
  type: string;
  body: string | Uint8Array;
}

export class SdkProxy {
  upgrades: UpgradeMode = "allow";
  /** What went through, for the tests' assertions. */
  readonly counts = { requests: 0, polls: 0, restSends: 0, upgradesRefused: 0, upgradesHeld: 0, upgradesAllowed: 0 };
  readonly files = new Map<string, ProxyFile>();
  readonly #server: Server;
  readonly #target: URL;
  readonly #sockets = new Set<Socket>();

  private constructor(target: string) {
    this.#target = new URL(target);
    this.#server = createServer((req, res) => this.#http(req, res));
    this.#server.on("connection", (socket) => this.#track(socket));
    this.#server.on("upgrade", (req: IncomingMessage, socket: Socket, head: Buffer) => this.#upgrade(req, socket, head));
  }

  /** Starts a proxy to `target` (`http://127.0.0.1:port`) on a free port of 127.0.0.1. */
  static async start(target: string): Promise<SdkProxy> {
    const proxy = new SdkProxy(target);
    await new Promise<void>((resolve) => proxy.#server.listen(0, "127.0.0.1", resolve));
    return proxy;
  }

  get url(): string {
    const address = this.#server.address();
    if (!address || typeof address === "string") throw new Error("the proxy is not listening");
    return `http://127.0.0.1:${address.port}`;
  }

  /** Closes every connection (held upgrades and WebSockets included) and the server. */
  async stop(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  /** Ends the WebSockets that went through (as a proxy that drops them). */
  dropWebSockets(): void {
    for (const socket of this.#sockets) if ((socket as Socket & { upgraded?: boolean }).upgraded) socket.destroy();
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.once("close", () => this.#sockets.delete(socket));
  }

  #http(req: IncomingMessage, res: ServerResponse): void {
    this.counts.requests += 1;
    const path = (req.url ?? "/").split("?")[0]!;
    const file = this.files.get(path);
    if (file) {
      res.writeHead(200, { "content-type": file.type, "cache-control": "no-store" });
      res.end(file.body);
      return;
    }
    if (path.endsWith("/poll")) this.counts.polls += 1;
    if (req.method === "POST" && path.endsWith("/messages")) this.counts.restSends += 1;
    const upstream = request(
      { host: this.#target.hostname, port: this.#target.port, method: req.method, path: req.url, headers: req.headers },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
      },
    );
    upstream.on("error", () => {
      if (!res.headersSent) res.writeHead(502, { "content-type": "application/json" });
      res.end();
    });
    req.pipe(upstream);
  }

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    switch (this.upgrades) {
      case "refuse":
        this.counts.upgradesRefused += 1;
        socket.end("HTTP/1.1 502 Bad Gateway\r\ncontent-type: text/plain\r\ncontent-length: 26\r\nconnection: close\r\n\r\nWebSockets are not allowed");
        return;
      case "hang":
        // Never answered: the client's socket never opens. Closed by stop().
        this.counts.upgradesHeld += 1;
        return;
      case "allow": {
        this.counts.upgradesAllowed += 1;
        (socket as Socket & { upgraded?: boolean }).upgraded = true;
        const upstream = connect(Number(this.#target.port), this.#target.hostname, () => {
          const lines = [`${req.method} ${req.url} HTTP/1.1`];
          for (let i = 0; i < req.rawHeaders.length; i += 2) lines.push(`${req.rawHeaders[i]}: ${req.rawHeaders[i + 1]}`);
          upstream.write(`${lines.join("\r\n")}\r\n\r\n`);
          if (head.length > 0) upstream.write(head);
          socket.pipe(upstream).pipe(socket);
        });
        this.#track(upstream);
        const end = () => {
          socket.destroy();
          upstream.destroy();
        };
        upstream.on("error", end);
        socket.on("error", end);
        upstream.on("close", end);
        socket.on("close", end);
        return;
      }
    }
  }
}
