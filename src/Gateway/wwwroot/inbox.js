// The agents' inbox: plain DOM over the REST API, live updates over the SignalR hub's JSON protocol.
// Customer text is only ever set as textContent, never as HTML.
'use strict';

const $ = id => document.getElementById(id);
const RecordSeparator = '\u001e';
const state = {
  token: sessionStorage.getItem('crm.token'),
  agent: sessionStorage.getItem('crm.agent'),
  conversations: new Map(),
  selected: null,
  messages: new Map(),
  olderCursor: null,
  socket: null,
};

async function api(path, options = {}) {
  const headers = { 'Content-Type': 'application/json' };
  if (state.token) headers.Authorization = `Bearer ${state.token}`;
  const response = await fetch(path, { ...options, headers });
  if (response.status === 401 && state.token) {
    signOut();
    throw new Error('Your session ended: please sign in again.');
  }
  const isJson = (response.headers.get('content-type') || '').includes('json');
  const body = isJson ? await response.json() : null;
  if (!response.ok) {
    const error = new Error(body?.detail || body?.title || `${response.status} ${response.statusText}`);
    error.status = response.status;
    throw error;
  }
  return body;
}

function show(signedIn) {
  $('sign-in').hidden = signedIn;
  $('inbox').hidden = !signedIn;
  $('sign-out').hidden = !signedIn;
  $('whoami').textContent = signedIn ? state.agent : '';
}

$('sign-in').addEventListener('submit', async event => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    const email = $('agent-email').value.trim();
    const password = $('agent-password').value;
    const issued = await api('/api/auth/sign-in', { method: 'POST', body: JSON.stringify({ email, password }) });
    const agent = `${issued.agent.name} (${issued.agent.role})`;
    Object.assign(state, { token: issued.token, agent });
    sessionStorage.setItem('crm.token', issued.token);
    sessionStorage.setItem('crm.agent', agent);
    $('agent-password').value = '';
    await openInbox();
  } catch (error) {
    $('sign-in-error').textContent = error.message;
  }
});

$('sign-out').addEventListener('click', signOut);

function signOut() {
  Object.assign(state, { token: null, agent: null, selected: null });
  sessionStorage.removeItem('crm.token');
  sessionStorage.removeItem('crm.agent');
  state.socket?.close();
  show(false);
}

async function openInbox() {
  show(true);
  await refreshConversations();
  connectLive();
}

async function refreshConversations() {
  const page = await api('/api/conversations?limit=200');
  state.conversations = new Map(page.items.map(c => [c.id, c]));
  renderConversations();
  if (state.selected) await select(state.selected);
}

function renderConversations() {
  const list = $('conversations');
  const sorted = [...state.conversations.values()].sort((a, b) => b.lastMessageAt.localeCompare(a.lastMessageAt));
  list.replaceChildren(...sorted.map(conversation => {
    const item = document.createElement('li');
    item.classList.toggle('selected', conversation.id === state.selected);
    const who = element('div', 'who', conversation.customerName || conversation.customerIdentity);
    who.append(element('time', '', when(conversation.lastMessageAt)));
    item.append(who, element('div', 'preview', conversation.lastMessagePreview || ''));
    item.title = conversation.customerIdentity;
    item.addEventListener('click', () => select(conversation.id));
    return item;
  }));
  $('no-conversations').hidden = sorted.length > 0;
}

async function select(conversationId) {
  state.selected = conversationId;
  const page = await api(`/api/conversations/${conversationId}/messages?limit=50`);
  state.messages = new Map(page.items.map(m => [m.id, m]));
  state.olderCursor = page.olderCursor;
  const conversation = state.conversations.get(conversationId);
  $('thread-title').textContent = conversation
    ? `${conversation.customerName || conversation.customerIdentity} · ${conversation.customerIdentity} · ${conversation.channel}`
    : '';
  $('pick').hidden = true;
  $('thread').hidden = false;
  renderConversations();
  renderMessages(true);
}

$('older').addEventListener('click', async () => {
  const page = await api(`/api/conversations/${state.selected}/messages?limit=50&before=${encodeURIComponent(state.olderCursor)}`);
  for (const message of page.items) state.messages.set(message.id, message);
  state.olderCursor = page.olderCursor;
  renderMessages(false);
});

function renderMessages(scrollToEnd) {
  const list = $('messages');
  const sorted = [...state.messages.values()].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  list.replaceChildren(...sorted.map(message => {
    // Activity entries say what changed and who changed it; notes are the agents' own, never sent.
    const text = message.activity
      ? `${message.agent || 'Crm'}: ${message.activity.kind.replace('-', ' ')} ${message.activity.from} → ${message.activity.to}`
      : message.direction === 'note' ? `Note: ${message.text}` : message.text || '';
    const item = element('li', message.direction, text);
    for (const media of message.media) {
      const link = element('a', '', `📎 ${media.contentType || 'attachment'}`);
      if (/^https?:\/\//i.test(media.url)) link.href = media.url;
      link.target = '_blank';
      link.rel = 'noopener';
      item.append(link);
    }
    if (message.location) {
      const { latitude, longitude, label } = message.location;
      item.append(element('span', '', `📍 ${label ? label + ' ' : ''}${latitude}, ${longitude}`));
    }
    if (message.button) item.append(element('span', '', `🔘 ${message.button.text}`));
    const meta = [when(message.createdAt)];
    if (message.agent) meta.push(message.agent);
    if (message.direction === 'outbound') meta.push((StatusWords[message.status] || message.status) + (message.errorCode ? ` (${message.errorCode})` : ''));
    item.append(element('span', `meta ${message.status}`, meta.join(' · ')));
    if (canResend(message, sorted)) item.append(resendButton(message));
    return item;
  }));
  $('older').hidden = !state.olderCursor;
  if (scrollToEnd) list.scrollTop = list.scrollHeight;
}

// What a reply's status means to the agent; anything else is shown as it is.
const StatusWords = {
  pending: 'sending…',
  retrying: 'retrying: Twilio could not be reached',
  'unknown-outcome': 'may or may not have been sent: check with the customer before resending',
  failed: 'not sent',
  undelivered: 'not delivered',
};

// A reply that did not go out (or may not have) can be sent again once, as a new message linked to it.
function canResend(message, messages) {
  return message.direction === 'outbound'
    && ['failed', 'undelivered', 'unknown-outcome'].includes(message.status)
    && !messages.some(other => other.resendOf === message.id);
}

function resendButton(message) {
  const button = element('button', 'resend', 'Resend');
  button.type = 'button';
  button.addEventListener('click', async () => {
    button.disabled = true;
    $('reply-error').textContent = '';
    try {
      upsertMessage(await api(`/api/conversations/${message.conversationId}/messages/${message.id}/resend`, { method: 'POST' }));
    } catch (error) {
      $('reply-error').textContent = error.message;
      button.disabled = false;
    }
  });
  return button;
}

$('reply').addEventListener('submit', async event => {
  event.preventDefault();
  $('reply-error').textContent = '';
  const text = $('reply-text').value;
  try {
    const message = await api(`/api/conversations/${state.selected}/messages`, { method: 'POST', body: JSON.stringify({ text }) });
    $('reply-text').value = '';
    upsertMessage(message);
  } catch (error) {
    $('reply-error').textContent = error.message;
  }
});

$('reply-text').addEventListener('keydown', event => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) $('reply').requestSubmit();
});

function upsertMessage(message) {
  if (message.conversationId !== state.selected) return;
  const known = state.messages.get(message.id);
  // Pushes can overtake each other; never let an older status replace a newer one.
  if (known && known.statusUpdatedAt > message.statusUpdatedAt) return;
  state.messages.set(message.id, message);
  renderMessages(true);
}

const pushes = {
  // A stored batch in one push: its messages, and each conversation they moved.
  MessagesAdded: ({ messages, conversations }) => {
    messages.forEach(upsertMessage);
    conversations.forEach(conversation => state.conversations.set(conversation.id, conversation));
    if (conversations.length > 0) renderConversations();
  },
  MessageStatusChanged: upsertMessage,
  // An admin deactivated this agent: the server closes the connection and refuses the token from now on.
  SessionEnded: () => {
    signOut();
    $('sign-in-error').textContent = 'Your session was ended by an administrator.';
  },
};

// SignalR's JSON hub protocol straight over a WebSocket: a handshake, then one JSON record per message.
function connectLive() {
  if (!state.token || (state.socket && state.socket.readyState <= WebSocket.OPEN)) return;
  const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
  const socket = new WebSocket(`${scheme}://${location.host}/hubs/inbox?access_token=${encodeURIComponent(state.token)}`);
  state.socket = socket;
  let keepAlive;
  socket.addEventListener('open', () => {
    socket.send(JSON.stringify({ protocol: 'json', version: 1 }) + RecordSeparator);
    // The server drops clients it has not heard from in 30 s.
    keepAlive = setInterval(() => socket.send(JSON.stringify({ type: 6 }) + RecordSeparator), 15000);
  });
  socket.addEventListener('message', event => {
    for (const record of event.data.split(RecordSeparator)) {
      if (!record) continue;
      const message = JSON.parse(record);
      if (message.type === undefined) setLive(!message.error);
      else if (message.type === 1) pushes[message.target]?.(message.arguments[0]);
      else if (message.type === 7) socket.close();
    }
  });
  socket.addEventListener('close', () => {
    clearInterval(keepAlive);
    setLive(false);
    if (state.token && state.socket === socket) {
      state.socket = null;
      // Catch up on what was missed while offline, then listen again.
      setTimeout(() => refreshConversations().then(connectLive, () => setTimeout(connectLive, 5000)), 2000);
    }
  });
}

function setLive(on) {
  $('live').textContent = on ? 'live' : 'offline';
  $('live').classList.toggle('on', on);
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  node.textContent = text;
  return node;
}

function when(iso) {
  const date = new Date(iso);
  return date.toDateString() === new Date().toDateString() ? date.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' }) : date.toLocaleDateString();
}

if (state.token) openInbox().catch(() => show(false)); else show(false);
