// What more than one module reads and changes, in one place. Modules cannot assign to a binding they import,
// so this is one object whose fields they set: state.current = ..., never a copy of it.
// State that only one module needs (the audio context, the socket's retry count, the queue's waiting callers)
// stays private to that module.

export const state = {
  me: null,          // GET /api/console/me: id, name, role, on_duty, categories, outcomes, csrf_token
  skew: 0,           // the server's clock minus this computer's, in ms (from each answer's Date header)
  queueRows: [],
  current: null,     // the open conversation
  busy: false,       // a hand back or a close is on its way
  unread: {},        // conversation id -> new student messages in a conversation that is not open
  socket: null,
  signedOut: false
};
