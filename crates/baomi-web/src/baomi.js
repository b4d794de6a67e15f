// baomi.js — the one script of `baomi serve` in browser-key mode.
//
// The reviewer's Ed25519 key is made here with WebCrypto, non-extractable,
// and kept in this browser's IndexedDB: the server only ever sees the
// public key and signatures. This script enrols the key, logs in by signing
// the server's challenge, and signs decisions and waivers over exactly the
// ledger entry the server prepared, after showing its payload in words.
// Pages are readable without it. No framework, no other origin.
'use strict';
(() => {
  const enc = new TextEncoder();
  const $ = (sel, root = document) => root.querySelector(sel);
  const b64 = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)));
  const hex = (bytes) => Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');
  const unhex = (s) => {
    if (!/^([0-9a-f]{2})*$/.test(s)) throw new Error('not hex');
    return new Uint8Array((s.match(/../g) || []).map((h) => parseInt(h, 16)));
  };
  const concat = (...parts) => {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let at = 0;
    for (const p of parts) { out.set(p, at); at += p.length; }
    return out;
  };
  const u64be = (n) => {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt(n));
    return b;
  };
  const field = (bytes) => concat(u64be(bytes.length), bytes);

  // ---- the key, in IndexedDB ------------------------------------------
  function openDb() {
    return new Promise((resolve, reject) => {
      const r = indexedDB.open('baomi-keys', 1);
      r.onupgradeneeded = () => r.result.createObjectStore('keys');
      r.onsuccess = () => resolve(r.result);
      r.onerror = () => reject(r.error);
    });
  }
  async function loadKey() {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const q = db.transaction('keys').objectStore('keys').get('me');
      q.onsuccess = () => resolve(q.result || null);
      q.onerror = () => reject(q.error);
    });
  }
  async function saveKey(rec) {
    const db = await openDb();
    return new Promise((resolve, reject) => {
      const t = db.transaction('keys', 'readwrite');
      t.objectStore('keys').put(rec, 'me');
      t.oncomplete = () => resolve();
      t.onerror = () => reject(t.error);
    });
  }

  // Why this browser cannot sign, or null.
  async function unsupported() {
    if (!window.isSecureContext || !window.crypto || !crypto.subtle) {
      return '此页面不是通过 HTTPS（或本机地址）打开的，浏览器不允许在此使用签名密钥。请通过管理员提供的 https:// 地址访问。';
    }
    if (!window.indexedDB) return '此浏览器不能保存密钥（IndexedDB 不可用，可能处于隐私模式）。';
    try {
      await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
      return null;
    } catch (e) {
      return '此浏览器不支持 WebCrypto Ed25519 签名，无法在此签名。请使用 Chromium/Chrome 137 及以上、Firefox 129 及以上或 Safari 17 及以上版本。';
    }
  }

  async function keyId(raw) {
    return hex((await crypto.subtle.digest('SHA-256', raw)).slice(0, 8));
  }

  async function post(url, csrf, body, form) {
    const headers = { 'X-Baomi-Csrf': csrf };
    let data;
    if (form) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      data = new URLSearchParams(body).toString();
    } else {
      headers['Content-Type'] = 'application/json';
      data = JSON.stringify(body);
    }
    const r = await fetch(url, { method: 'POST', headers, body: data, credentials: 'same-origin' });
    let j = {};
    try { j = await r.json(); } catch (e) { j = { error: `HTTP ${r.status}` }; }
    if (!r.ok) throw new Error(j.error || `HTTP ${r.status}`);
    return j;
  }

  function say(el, text, bad) {
    if (!el) return;
    el.textContent = text;
    el.className = bad ? 'notice refused' : 'notice ok';
  }

  // ---- /enrol ---------------------------------------------------------
  async function enrolPage(root) {
    const status = $('#baomi-status', root);
    const button = $('#baomi-generate', root);
    const why = await unsupported();
    if (why) { say(status, why, true); return; }
    const show = (rec, registered) => {
      say(status, registered
        ? `本浏览器的密钥 ${rec.keyId} 已登记，可以登录。`
        : `登记码：${rec.code}　密钥编号：${rec.keyId}。请把登记码交给保密管理员登记，并当面核对密钥编号；登记后即可登录。`);
      status.dataset.code = rec.code || '';
      status.dataset.keyId = rec.keyId;
    };
    const have = await loadKey();
    if (have) {
      show(have, false);
      button.textContent = '生成新密钥（换新密钥后须重新登记）';
    }
    button.disabled = false;
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const pair = await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign', 'verify']);
        const raw = await crypto.subtle.exportKey('raw', pair.publicKey);
        const id = await keyId(raw);
        const r = await post('/session/enrol', root.dataset.csrf, {
          public_key: b64(raw), name: ($('#baomi-name', root) || {}).value || '',
        });
        if (r.key_id !== id) throw new Error('服务器返回的密钥编号与本地计算的不一致');
        const rec = { privateKey: pair.privateKey, publicKey: pair.publicKey, raw: b64(raw), keyId: id, code: r.code || '' };
        await saveKey(rec);
        show(rec, r.registered);
      } catch (e) {
        say(status, `未能登记：${e.message}`, true);
      } finally {
        button.disabled = false;
      }
    });
  }

  // ---- /login ---------------------------------------------------------
  async function loginPage(root) {
    const status = $('#baomi-status', root);
    const button = $('#baomi-login-button', root);
    const why = await unsupported();
    if (why) { say(status, why, true); return; }
    const rec = await loadKey();
    if (!rec) { say(status, '本浏览器还没有签名密钥，请先到“登记密钥”页生成并登记。', true); return; }
    say(status, `本浏览器的密钥：${rec.keyId}`);
    button.disabled = false;
    button.addEventListener('click', async () => {
      button.disabled = true;
      try {
        const { challenge } = await post('/session/challenge', root.dataset.csrf, {});
        const origin = location.origin;
        const msg = enc.encode(`baomi-login-v1\n${origin}\n${challenge}`);
        const sig = await crypto.subtle.sign({ name: 'Ed25519' }, rec.privateKey, msg);
        const who = await post('/session/login', root.dataset.csrf, {
          public_key: rec.raw, challenge, origin, signature: b64(sig),
        });
        say(status, `已登录：${who.name}`);
        const next = new URLSearchParams(location.search).get('next') || '/';
        location.assign(next.startsWith('/') && !next.startsWith('//') ? next : '/');
      } catch (e) {
        say(status, `未能登录：${e.message}`, true);
        button.disabled = false;
      }
    });
  }

  // ---- signing a decision or a waiver ---------------------------------
  const STAGES = { department: '部门申请', 'work-department': '工作部审核', 'secrecy-committee': '保密委审查' };
  const CONCLUSIONS = { publish: '同意公开', 'publish-after-changes': '修改后公开', withhold: '不予公开' };

  // The payload in words: built from the very bytes that are signed.
  function words(kind, p) {
    const rows = [];
    if (kind === 'decision') {
      rows.push(['阶段', STAGES[p.role] || p.role], ['审查结论', CONCLUSIONS[p.conclusion] || p.conclusion],
        ['意见', p.opinion || '（无）']);
      if (p.changes) rows.push(['修改要求', p.changes]);
      if (p.basis) rows.push(['依据', p.basis]);
      rows.push(['文件', [p.title, p.doc_number, p.path].filter(Boolean).join('　')]);
    } else if (kind === 'waiver') {
      rows.push(['豁免规则', p.rule], ['遮蔽预览', p.preview || ''], ['理由', p.reason], ['文件', p.path || '']);
    } else {
      rows.push(['类型', kind]);
    }
    return rows;
  }

  function signedMessage(e) {
    return concat(enc.encode('baomi-ledger-signed-v1\n'), u64be(e.seq), field(enc.encode(e.kind)),
      field(enc.encode(e.doc_sha256)), field(enc.encode(e.recorded_at)), field(enc.encode(e.payload)),
      unhex(e.prev_hash));
  }

  // Shows the entry and resolves true when the reviewer confirms.
  function confirmEntry(form, e, payload) {
    let box = $('.baomi-confirm', form.parentNode);
    if (box) box.remove();
    box = document.createElement('section');
    box.className = 'baomi-confirm';
    const h = document.createElement('h3');
    h.textContent = `请核对将要签名的内容（账本第 ${e.seq} 条，${e.recorded_at}，密钥 ${e.key_id}）`;
    box.append(h);
    const dl = document.createElement('dl');
    dl.className = 'meta';
    for (const [k, v] of words(e.kind, payload)) {
      const dt = document.createElement('dt'); dt.textContent = k;
      const dd = document.createElement('dd'); dd.textContent = v;
      dl.append(dt, dd);
    }
    box.append(dl);
    const raw = document.createElement('details');
    const sum = document.createElement('summary'); sum.textContent = '签名的原始内容（RFC 8785 JSON）';
    const pre = document.createElement('pre'); pre.textContent = e.payload;
    raw.append(sum, pre);
    box.append(raw);
    const ok = document.createElement('button'); ok.type = 'button'; ok.className = 'baomi-sign'; ok.textContent = '确认并签名';
    const no = document.createElement('button'); no.type = 'button'; no.className = 'baomi-cancel'; no.textContent = '取消';
    box.append(ok, no);
    form.after(box);
    return new Promise((resolve) => {
      ok.addEventListener('click', () => { box.remove(); resolve(true); });
      no.addEventListener('click', () => { box.remove(); resolve(false); });
    });
  }

  async function signForm(form, kind, sha, status) {
    const why = await unsupported();
    if (why) throw new Error(why);
    const rec = await loadKey();
    if (!rec) throw new Error('本浏览器没有签名密钥；请先登记并登录。');
    const csrf = form.elements.csrf.value;
    const fields = Object.fromEntries(new FormData(form).entries());
    const e = await post(`/session/prepare/${kind}/${sha}`, csrf, fields, true);
    if (e.key_id !== rec.keyId) throw new Error(`登录的密钥（${e.key_id}）不是本浏览器的密钥（${rec.keyId}）；请重新登录。`);
    if (e.doc_sha256 !== sha) throw new Error('服务器准备的条目不是本文档的');
    const payload = JSON.parse(e.payload);
    const expected = kind === 'decide' ? 'decision' : 'waiver';
    if (e.kind !== expected) throw new Error(`服务器准备的条目类型不符（${e.kind}）`);
    if (!(await confirmEntry(form, e, payload))) { say(status, '已取消，未签名。', true); return; }
    const sig = await crypto.subtle.sign({ name: 'Ed25519' }, rec.privateKey, signedMessage(e));
    const done = await post('/session/sign', csrf, { id: e.id, payload: e.payload, signature: b64(sig) });
    location.assign(done.location);
  }

  function hookForms() {
    for (const form of document.querySelectorAll('form.decide, form.waive')) {
      const m = /^\/documents\/([0-9a-f]{64})\/(decide|waive)$/.exec(new URL(form.action, location.href).pathname);
      if (!m) continue;
      const status = document.createElement('p');
      status.setAttribute('role', 'status');
      form.append(status);
      form.addEventListener('submit', (ev) => {
        ev.preventDefault();
        const button = $('button[type=submit]', form);
        if (button) button.disabled = true;
        signForm(form, m[2], m[1], status)
          .catch((err) => say(status, `未记录：${err.message}`, true))
          .finally(() => { if (button) button.disabled = false; });
      });
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    const en = $('#baomi-enrol');
    if (en) enrolPage(en);
    const lo = $('#baomi-login');
    if (lo) loginPage(lo);
    hookForms();
  });
})();
