/*
 * detail_text.js - what the event detail says in words: its title (what
 * happened: "Bash failed", not "PreToolUse") and a tool's output or error as
 * the text it was (lines, not a JSON string with \n escapes).  Pure.
 */

/*
 * The title of event ev (the feed's copy: ev.post is the joined end of a
 * tool call, ev.pre its start), by the flags of meta (event_meta.js) where
 * the meaning is a flag's, and by the payload's shape for the rest.
 */
export function detailTitle(ev, meta) {
  const tool = ev.tool_name || 'tool';
  const flags = meta.flagsOf.get(ev.type) || new Set();
  const endWord = (type) => {
    const f = meta.flagsOf.get(type) || new Set();
    return f.has('tool_failure') ? 'failed' : f.has('tool_denied') ? 'denied' : 'done';
  };
  if (flags.has('tool_start')) return ev.post ? tool + ' ' + endWord(ev.post.type) : tool + ' running';
  if (flags.has('tool_end')) return tool + ' ' + endWord(ev.type);
  if (flags.has('turn_failed')) return 'Turn failed';
  if (flags.has('turn_end')) return 'Turn finished';
  if (flags.has('subagent_stop')) return 'Subagent finished' + (ev.agent_type ? ' (' + ev.agent_type + ')' : '');
  if (flags.has('subagent_start')) return 'Subagent started' + (ev.agent_type ? ' (' + ev.agent_type + ')' : '');
  if (flags.has('prompt')) return 'Prompt';
  if (flags.has('session_start')) return 'Session started';
  if (flags.has('session_end')) return 'Session ended';
  if (ev.type === 'PermissionRequest') return 'Permission asked: ' + tool;
  if (ev.type === 'Elicitation') return 'Question asked';
  if (flags.has('notification')) return 'Notification';
  return ev.type;
}

/* A tool's response as text: stdout and stderr, a file's content, text
 * blocks, a list of files; else the JSON, indented. */
export function outputText(resp) {
  if (resp === null || resp === undefined) return '';
  if (typeof resp === 'string') return resp;
  if (typeof resp !== 'object') return String(resp);
  if (typeof resp.stdout === 'string' || typeof resp.stderr === 'string') {
    const out = resp.stdout || '', err = resp.stderr || '';
    return out + (err ? (out && !out.endsWith('\n') ? '\n' : '') + '[stderr]\n' + err : '');
  }
  if (resp.file && typeof resp.file.content === 'string') return resp.file.content;
  if (typeof resp.content === 'string') return resp.content;
  if (Array.isArray(resp.content) && resp.content.every((b) => b && typeof b.text === 'string')) return resp.content.map((b) => b.text).join('\n');
  if (Array.isArray(resp) && resp.every((b) => b && typeof b.text === 'string')) return resp.map((b) => b.text).join('\n');
  if (Array.isArray(resp.filenames)) return resp.filenames.join('\n');
  return JSON.stringify(resp, null, 2);
}

/* The readable sections of a payload p: [{label, text, err}] (the command,
 * the prompt, the error, the output, the last message). */
export function readableSections(p) {
  const out = [];
  if (!p || typeof p !== 'object') return out;
  const ti = p.tool_input && typeof p.tool_input === 'object' ? p.tool_input : null;
  if (ti && typeof ti.command === 'string') out.push({ label: 'Command', text: ti.command, err: false });
  if (typeof p.prompt === 'string') out.push({ label: 'Prompt', text: p.prompt, err: false });
  if (typeof p.message === 'string') out.push({ label: 'Message', text: p.message, err: false });
  if (p.error !== undefined && p.error !== null) {
    const e = typeof p.error === 'string' ? p.error : JSON.stringify(p.error, null, 2);
    out.push({ label: 'Error', text: e + (typeof p.error_details === 'string' ? '\n' + p.error_details : ''), err: true });
  }
  if (p.tool_response !== undefined) out.push({ label: 'Output', text: outputText(p.tool_response), err: false });
  if (typeof p.last_assistant_message === 'string') out.push({ label: 'Last message', text: p.last_assistant_message, err: false });
  return out;
}
