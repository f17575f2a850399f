// The live bench's baseline: a socket.io server (the app's socket.io version, websocket
// transport) whose `live:join` and `live:buy` only acknowledge, `live:buy` with
// `{ok:true,data:{orderNo:'x'}}`. The bench starts it as a child process on its own loopback port
// and drives it with the same load generator and the same shape as the real run; its
// acknowledgements per second are what this machine's sockets and generator can do at best.
// Tells its parent the port over IPC: {type:'listening', port}.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server } from 'socket.io';

const http = createServer();
const io = new Server(http, { transports: ['websocket'] });
io.on('connection', (socket) => {
  socket.on('live:join', (_input: unknown, ack?: unknown) => {
    if (typeof ack === 'function') ack({ ok: true, data: {} });
  });
  socket.on('live:buy', (_input: unknown, ack?: unknown) => {
    if (typeof ack === 'function') ack({ ok: true, data: { orderNo: 'x' } });
  });
});

const stop = () => {
  io.close();
  setTimeout(() => process.exit(0), 200);
};
process.on('disconnect', stop);
process.on('SIGTERM', stop);
http.listen(0, '127.0.0.1', () => {
  process.send!({ type: 'listening', port: (http.address() as AddressInfo).port });
});
