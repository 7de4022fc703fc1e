import { describe, expect, it } from 'vitest';
import { menuTemplate } from '../../../main/electron/menu.js';
import { isRecordingPath, oneLine, recordingFromArgv, recordingFromUrl, recordingInstanceArgs, recordingTitle } from '../../../main/electron/openRecording.js';

describe('which file is a recording', () => {
  it('goes by the .headroom extension, in any case, and never by a bare dot-name or another extension', () => {
    expect(isRecordingPath('/x/y.headroom')).toBe(true);
    expect(isRecordingPath('C:\\Incidents\\Outage.HEADROOM')).toBe(true);
    expect(isRecordingPath('y.headroom')).toBe(true);
    expect(isRecordingPath('/x/.headroom')).toBe(false);
    expect(isRecordingPath('/x/y.headroom.txt')).toBe(false);
    expect(isRecordingPath('/x/y.db')).toBe(false);
    expect(isRecordingPath('/x/headroom')).toBe(false);
    expect(isRecordingPath('')).toBe(false);
  });
});

describe('a dropped file (navigation URL) → recording path', () => {
  it('takes a local file:// URL of a .headroom file, decoded', () => {
    expect(recordingFromUrl('file:///x/y.headroom')).toBe('/x/y.headroom');
    expect(recordingFromUrl('file://localhost/x/y.headroom')).toBe('/x/y.headroom');
    expect(recordingFromUrl('file:///home/ana/Incident%2012%20May.headroom')).toBe('/home/ana/Incident 12 May.headroom');
    expect(recordingFromUrl('FILE:///x/Y.Headroom')).toBe('/x/Y.Headroom');
  });

  it('refuses everything else: other schemes, other files, a remote host, a query or fragment, encoded separators, junk', () => {
    for (const url of [
      'https://evil.example/y.headroom',
      'http://127.0.0.1/x.headroom',
      'app://headroom/index.html',
      'file:///x/y.html',
      'file:///x/y.headroom.html',
      'file:///x/',
      'file://evil.example/share/y.headroom',
      'file:///x/y.headroom?z=1',
      'file:///x/y.headroom#frag',
      'file:///x%2Fy.headroom',
      'javascript:alert(1)//.headroom',
      'data:text/html,x.headroom',
      'y.headroom',
      '',
      'not a url',
    ]) {
      expect(recordingFromUrl(url), url).toBeNull();
    }
  });
});

describe('argv → the recording this instance plays', () => {
  const exe = '/opt/Headroom/headroom';

  it('reads --recording FILE and --recording=FILE (the second instance), wherever they stand', () => {
    expect(recordingFromArgv([exe, '--recording', '/x/y.headroom'])).toBe('/x/y.headroom');
    expect(recordingFromArgv([exe, '/repo', '--recording', '/x/y.headroom'])).toBe('/x/y.headroom');
    expect(recordingFromArgv([exe, '--no-sandbox', '--recording=/x/y.headroom', '--enable-logging'])).toBe('/x/y.headroom');
    // Explicit wins over an associated path; the value need not end in .headroom (openRecording judges the file).
    expect(recordingFromArgv([exe, '/a/other.headroom', '--recording', '/x/saved-copy'])).toBe('/x/saved-copy');
  });

  it('takes a .headroom path or file:// URL among the arguments (file association on Windows and Linux)', () => {
    expect(recordingFromArgv([exe, '/x/y.headroom'])).toBe('/x/y.headroom');
    expect(recordingFromArgv(['C:\\Headroom\\Headroom.exe', 'C:\\Incidents\\Outage.headroom'])).toBe('C:\\Incidents\\Outage.headroom');
    expect(recordingFromArgv([exe, '--enable-features=X', 'file:///x/Incident%201.headroom'])).toBe('/x/Incident 1.headroom');
    expect(recordingFromArgv([exe, '/x/a.txt', '/x/first.headroom', '/x/second.headroom'])).toBe('/x/first.headroom');
  });

  it('is null for the live console: no file, switches only, the executable itself, --recording without a value', () => {
    expect(recordingFromArgv([])).toBeNull();
    expect(recordingFromArgv([exe])).toBeNull();
    expect(recordingFromArgv(['/odd/install.headroom'])).toBeNull();
    expect(recordingFromArgv([exe, '.'])).toBeNull();
    expect(recordingFromArgv([exe, '/repo/dist/main/electron/main.js', '--inspect'])).toBeNull();
    expect(recordingFromArgv([exe, '--user-data-dir=/x/y.headroom'])).toBeNull();
    expect(recordingFromArgv([exe, '--recording'])).toBeNull();
    expect(recordingFromArgv([exe, '--recording', '--no-sandbox'])).toBeNull();
    expect(recordingFromArgv([exe, '--recording='])).toBeNull();
    expect(recordingFromArgv([exe, 'https://evil.example/y.headroom'])).toBeNull();
    expect(recordingFromArgv([exe, 'file:///x/y.txt'])).toBeNull();
  });

  it('round-trips with the arguments the app starts its second instance with', () => {
    expect(recordingInstanceArgs('/x/y.headroom', '/repo')).toEqual(['/repo', '--recording', '/x/y.headroom']);
    expect(recordingInstanceArgs('/x/y.headroom', null)).toEqual(['--recording', '/x/y.headroom']);
    expect(recordingFromArgv([exe, ...recordingInstanceArgs('/x/y.headroom', '/repo')])).toBe('/x/y.headroom');
    expect(recordingFromArgv([exe, ...recordingInstanceArgs('/x/plain-name', null)])).toBe('/x/plain-name');
  });
});

describe('what the user sees', () => {
  it('titles a recording window with the file name only', () => {
    expect(recordingTitle('/home/ana/incidents/outage-0512.headroom')).toBe('Headroom — recording outage-0512.headroom');
  });

  it('puts an error in one line', () => {
    expect(oneLine(new Error('y.headroom: not a Headroom recording (file is not a database)'))).toBe('y.headroom: not a Headroom recording (file is not a database)');
    expect(oneLine(new Error('first line\n    at stack'))).toBe('first line');
    expect(oneLine('plain')).toBe('plain');
    expect(oneLine(new Error(''))).toBe('unknown error');
  });
});

describe('application menu', () => {
  type Item = { label?: string; role?: string; accelerator?: string; click?: () => void; submenu?: Item[]; type?: string };
  const file = (platform: NodeJS.Platform, open: () => void) => (menuTemplate(platform, { openRecording: open }) as Item[]).find((m) => m.label === 'File');

  it('has File → Open recording… (CmdOrCtrl+O), which calls the opener', () => {
    let opened = 0;
    for (const platform of ['linux', 'win32', 'darwin'] as const) {
      const item = file(platform, () => opened++)?.submenu?.find((i) => i.label === 'Open recording…');
      expect(item?.accelerator, platform).toBe('CmdOrCtrl+O');
      item!.click!();
    }
    expect(opened).toBe(3);
  });

  it("keeps Electron's default menus: the app menu on macOS, Edit, View, Window; File ends with Quit (Close on macOS)", () => {
    const roles = (platform: NodeJS.Platform) => (menuTemplate(platform, { openRecording: () => {} }) as Item[]).map((m) => m.role ?? m.label);
    expect(roles('linux')).toEqual(['File', 'editMenu', 'viewMenu', 'windowMenu']);
    expect(roles('darwin')).toEqual(['appMenu', 'File', 'editMenu', 'viewMenu', 'windowMenu']);
    expect(file('linux', () => {})?.submenu?.at(-1)?.role).toBe('quit');
    expect(file('darwin', () => {})?.submenu?.at(-1)?.role).toBe('close');
  });
});
