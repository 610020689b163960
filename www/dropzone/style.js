// The widget's style sheet (its shadow root's only one). Theming: see dropzone.js.

export const STYLE = `
:host {
  display: block; position: relative; container-type: inline-size;
  font: 14px/1.45 var(--s3lift-font, ui-sans-serif, system-ui, -apple-system, "Segoe UI", Roboto, sans-serif);
  --_accent: var(--s3lift-accent, #2f5bea); --_on-accent: #fff;
  --_bg: var(--s3lift-bg, #fff); --_fg: var(--s3lift-fg, #0f172a); --_muted: var(--s3lift-muted, #64748b);
  --_border: var(--s3lift-border, #e2e8f0); --_danger: var(--s3lift-danger, #b42318);
  --_success: var(--s3lift-success, #15803d); --_radius: var(--s3lift-radius, 14px);
  --_track: color-mix(in srgb, var(--_fg) 8%, transparent);
  color: var(--_fg);
}
@media (prefers-color-scheme: dark) {
  :host {
    --_accent: var(--s3lift-accent, #8aa8ff); --_on-accent: #0b1020;
    --_bg: var(--s3lift-bg, #151a23); --_fg: var(--s3lift-fg, #e6e9ef); --_muted: var(--s3lift-muted, #9aa4b2);
    --_border: var(--s3lift-border, #2a3240); --_danger: var(--s3lift-danger, #f87171);
    --_success: var(--s3lift-success, #4ade80); --_track: color-mix(in srgb, var(--_fg) 12%, transparent);
  }
}
:host([hidden]) { display: none; }
* { box-sizing: border-box; }
svg { width: 18px; height: 18px; fill: none; stroke: currentColor; stroke-width: 2; stroke-linecap: round;
  stroke-linejoin: round; flex: none; }
button, a.btn { font: inherit; color: inherit; cursor: pointer; -webkit-tap-highlight-color: transparent; }
:focus-visible { outline: 2px solid var(--_accent); outline-offset: 2px; }

/* Drop area */
.zone { display: flex; flex-direction: column; align-items: center; gap: 10px; padding: 28px 20px 22px;
  text-align: center; cursor: pointer; border: 1.5px dashed color-mix(in srgb, var(--_muted) 45%, transparent);
  border-radius: var(--_radius); background: color-mix(in srgb, var(--_accent) 3%, var(--_bg));
  transition: border-color .15s, background-color .15s, box-shadow .15s; }
.zone:hover { border-color: color-mix(in srgb, var(--_accent) 60%, transparent); }
.zone.over { border-color: var(--_accent); border-style: solid;
  background: color-mix(in srgb, var(--_accent) 9%, var(--_bg));
  box-shadow: 0 0 0 4px color-mix(in srgb, var(--_accent) 14%, transparent); }
.glyph { display: grid; place-items: center; width: 48px; height: 48px; border-radius: 50%;
  color: var(--_accent); background: color-mix(in srgb, var(--_accent) 13%, transparent); transition: transform .2s; }
.glyph svg { width: 24px; height: 24px; }
.zone.over .glyph { transform: translateY(-3px) scale(1.06); }
.lead { margin: 2px 0 0; font-weight: 600; font-size: 15px; }
.lead span { font-weight: 400; color: var(--_muted); }
.choose { display: inline-flex; align-items: center; gap: 8px; min-height: 40px; padding: 0 18px;
  border: 0; border-radius: 10px; background: var(--_accent); color: var(--_on-accent); font-weight: 600;
  box-shadow: 0 1px 2px rgb(0 0 0 / .12); transition: filter .15s, transform .05s; }
.choose:hover { filter: brightness(1.08); }
.choose:active { transform: translateY(1px); }
.hint { margin: 0; font-size: 12.5px; color: var(--_muted); }
.folder { min-height: 28px; border: 0; background: none; padding: 2px 8px; border-radius: 6px; color: var(--_accent);
  font-size: 13px; }
.folder:hover { background: var(--_track); }
.folder[hidden] { display: none; }

/* Refused files */
.notice { display: none; align-items: flex-start; gap: 8px; margin-top: 12px; padding: 10px 8px 10px 12px;
  border-radius: 10px; color: var(--_danger); background: color-mix(in srgb, var(--_danger) 9%, var(--_bg));
  border: 1px solid color-mix(in srgb, var(--_danger) 25%, transparent); }
.notice.shown { display: flex; }
.notice > svg { margin-top: 1px; }
.message { flex: 1; min-width: 0; overflow-wrap: anywhere; }
.message div + div { margin-top: 2px; }

/* Summary line */
.summary { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin: 16px 2px 8px; }
.summary:not(.shown) { display: none; }
.totals { display: flex; flex-wrap: wrap; column-gap: 8px; min-width: 0; }
.total, .bytes { color: var(--_muted); font-size: 13px; font-variant-numeric: tabular-nums; min-width: 0; }
.clear { border: 0; background: none; padding: 4px 6px; border-radius: 6px; color: var(--_muted); font-size: 13px;
  white-space: nowrap; }
.clear:hover { color: var(--_fg); background: var(--_track); }

/* Unfinished uploads from before a reload */
.restore { display: flex; align-items: center; justify-content: space-between; gap: 8px; margin-top: 12px;
  padding: 8px 8px 8px 12px; border: 1px solid var(--_border); border-radius: var(--_radius); font-size: 13px; }
.restore:not(.shown), .resume-all[hidden] { display: none; }
.resume-all { min-height: 32px; padding: 0 14px; border: 0; border-radius: 8px; background: var(--_accent); color: var(--_on-accent);
  font: inherit; font-weight: 600; white-space: nowrap; cursor: pointer; }

/* Rows: only those in view are in the DOM (rows.js), each at its index's offset. */
.scroller { max-height: var(--s3lift-list-height, 560px); overflow-y: auto; overscroll-behavior: contain;
  border-radius: calc(var(--_radius) - 2px); }
ul { list-style: none; margin: 0; padding: 0; position: relative; }
li { position: absolute; left: 0; right: 0; top: 0; height: 80px; display: grid; grid-template-columns: auto minmax(0, 1fr) auto; grid-template-areas: "icon head actions" "icon prog prog";
  align-items: center; column-gap: 12px; padding: 10px 10px 12px 12px; border: 1px solid var(--_border); border-radius: calc(var(--_radius) - 2px);
  background: var(--_bg); box-shadow: 0 1px 2px rgb(15 23 42 / .04); }
.icon { grid-area: icon; --_k: var(--_accent); position: relative; display: grid; place-items: center; width: 38px; height: 38px;
  border-radius: 10px; color: var(--_k); background: color-mix(in srgb, var(--_k) 13%, transparent);
  font: 700 10px/1 ui-monospace, SFMono-Regular, Menlo, monospace; letter-spacing: .02em; text-transform: uppercase; }
.icon[data-kind=image] { --_k: #8b5cf6; } .icon[data-kind=video] { --_k: #db2777; }
.icon[data-kind=audio] { --_k: #d97706; } .icon[data-kind=doc] { --_k: #dc2626; }
.icon[data-kind=archive] { --_k: #0d9488; }
.icon svg { display: none; width: 20px; height: 20px; stroke-width: 2.4; }
li[data-state=done] .icon { --_k: var(--_success); }
li[data-state=failed] .icon { --_k: var(--_danger); }
li[data-state=done] .icon .ok, li[data-state=failed] .icon .bad { display: block; }
li[data-state=done] .icon .ext, li[data-state=failed] .icon .ext { display: none; }
.head { grid-area: head; display: flex; align-items: baseline; gap: 8px; min-width: 0; }
.progress { grid-area: prog; min-width: 0; padding-right: 2px; }
.name { font-weight: 600; min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: nowrap; }
.size { flex: none; color: var(--_muted); font-size: 12.5px; font-variant-numeric: tabular-nums; }
.bar { height: 6px; margin: 2px 0 6px; border-radius: 999px; background: var(--_track); overflow: hidden; }
.fill { position: relative; height: 100%; width: 0; border-radius: inherit; background: var(--_accent);
  transition: width .25s linear; overflow: hidden; }
li:is([data-state=uploading], [data-state=resuming]) .fill::after { content: ""; position: absolute; inset: 0;
  background: linear-gradient(90deg, transparent, rgb(255 255 255 / .35), transparent);
  transform: translateX(-100%); animation: sheen 1.6s ease-in-out infinite; }
@keyframes sheen { to { transform: translateX(100%); } }
li[data-state=paused] .fill, li[data-state=queued] .fill { background: color-mix(in srgb, var(--_muted) 65%, transparent); }
li[data-state=done] .fill { background: var(--_success); }
li[data-state=failed] .fill { background: var(--_danger); }
li[data-state=cancelled] .fill { background: color-mix(in srgb, var(--_muted) 40%, transparent); }
li[data-state=cancelled] :is(.head, .progress) { opacity: .6; }
.status { display: flex; min-width: 0; color: var(--_muted); font-size: 12.5px; font-variant-numeric: tabular-nums;
  white-space: nowrap; }
.detail { min-width: 0; overflow: hidden; text-overflow: ellipsis; white-space: pre; }
.label { flex: none; font-weight: 600; }
li:is([data-state=uploading], [data-state=resuming]) .label { color: var(--_accent); }
li[data-state=done] .label { color: var(--_success); }
li[data-state=failed] .status { color: var(--_danger); }

/* Row buttons */
.actions { grid-area: actions; display: flex; align-items: center; justify-content: flex-end; gap: 2px; }
.act { display: inline-flex; align-items: center; justify-content: center; gap: 6px; min-width: 34px; height: 34px;
  padding: 0 8px; border: 0; border-radius: 9px; background: none; color: var(--_muted); text-decoration: none;
  font-size: 13px; font-weight: 600; white-space: nowrap; transition: background-color .15s, color .15s; }
.act:hover { background: var(--_track); color: var(--_fg); }
.act[data-action=cancel]:hover { color: var(--_danger); background: color-mix(in srgb, var(--_danger) 10%, transparent); }
.act[data-action=download], .act[data-action=retry] { color: var(--_accent); }
.act[data-action=download]:hover, .act[data-action=retry]:hover {
  background: color-mix(in srgb, var(--_accent) 12%, transparent); color: var(--_accent); }
.act .text { display: none; }
@container (min-width: 440px) { .act:is([data-action=download], [data-action=retry]) .text { display: inline; } }
@container (max-width: 340px) {
  .icon { display: none; }
  li { grid-template-columns: minmax(0, 1fr) auto; grid-template-areas: "head actions" "prog prog"; column-gap: 8px; }
}

.sr { position: absolute; width: 1px; height: 1px; margin: -1px; overflow: hidden; clip: rect(0 0 0 0);
  white-space: nowrap; border: 0; }
@media (prefers-reduced-motion: reduce) {
  *, *::before, *::after { transition: none !important; animation: none !important; }
  .zone.over .glyph { transform: none; }
}
`;
