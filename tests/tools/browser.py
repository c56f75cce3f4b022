#!/usr/bin/python3
"""browser.py PAGE[#FRAGMENT] [STEPS]: open the file PAGE (with that
fragment in its address) in Debian's headless Chromium, let its scripts
run, then do STEPS (a JSON list) and print what happened as one JSON
object:

  {"console": [...], "errors": [...], "requests": [...], "results": [...]}

- console: every console message of the page ("error: ...", "log: ...");
- errors: uncaught exceptions and the browser's own log entries of level
  error (a refused request, a Content-Security-Policy violation);
- requests: every URL the page asked for, the page itself first;
- results: what each "eval" step gave, in order.

A step is one of
  {"eval": "JS"}                     the value of the expression JS (JSON)
  {"hover": "SELECTOR", "at": [X, Y]} move the mouse over the first element
                                     SELECTOR matches, X and Y fractions of
                                     its width and height from its top left
                                     (default [0.5, 0.5]); "px": [X, Y]
                                     instead gives pixels; "js": "JS" an
                                     expression whose value is the [X, Y]
                                     of the point in the window
  {"click": "SELECTOR"}              click that element (at its middle, or
                                     "at" or "px" as for hover)
  {"key": "KEY", "on": "SELECTOR"}   focus the element and press KEY
                                     ("ArrowRight", "Enter", "Tab", ...)
  {"screenshot": "FILE.png"}         the viewport as a PNG
  {"scheme": "dark"}                 the colour scheme the page is told the
                                     user prefers (prefers-color-scheme)

Chromium talks the DevTools protocol over two pipes
(--remote-debugging-pipe: JSON messages ending in a NUL byte on file
descriptors 3 and 4), so nothing but the standard library is needed and no
port is opened.  The window is 1200 x 900 pixels unless --size WxH says
otherwise.  Its network goes to a proxy that does not exist and every
host name fails to resolve, so a page that reached for anything outside
would show it in "requests" and fail to get it.  Exits 2 when Chromium is
missing or does not answer within --timeout seconds (default 30)."""
import base64
import fcntl
import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time

WIDTH, HEIGHT = 1200, 900


class Browser:
    """One headless Chromium and one page target, over the pipes."""

    def __init__(self, binary, profile, deadline):
        self.deadline = deadline
        to_child_r, self.to_child = os.pipe()
        self.from_child, from_child_w = os.pipe()
        # the child's fd 3 reads our commands, its fd 4 writes the answers
        def wire():  # through fds above 4, so that neither overwrites the other
            high_r = fcntl.fcntl(to_child_r, fcntl.F_DUPFD, 10)
            high_w = fcntl.fcntl(from_child_w, fcntl.F_DUPFD, 10)
            os.dup2(high_r, 3)
            os.dup2(high_w, 4)
        self.proc = subprocess.Popen(
            [binary, '--headless=new', '--no-sandbox', '--disable-gpu',
             '--remote-debugging-pipe', '--user-data-dir=' + profile,
             '--no-first-run', '--no-default-browser-check',
             '--disable-extensions', '--disable-background-networking',
             '--disable-component-update', '--disable-sync',
             '--proxy-server=127.0.0.1:9', '--host-resolver-rules=MAP * ~NOTFOUND',
             '--window-size=%d,%d' % (WIDTH, HEIGHT), 'about:blank'],
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL, preexec_fn=wire, pass_fds=(3, 4))
        os.close(to_child_r)
        os.close(from_child_w)
        self.buffer = b''
        self.next_id = 0
        self.events = []
        self.session = None

    def _read_message(self):
        while b'\0' not in self.buffer:
            if time.monotonic() > self.deadline:
                raise TimeoutError('Chromium did not answer in time')
            ready, _, _ = select.select([self.from_child], [], [], 0.5)
            if ready:
                chunk = os.read(self.from_child, 1 << 20)
                if not chunk:
                    raise EOFError('Chromium closed the pipe')
                self.buffer += chunk
        message, self.buffer = self.buffer.split(b'\0', 1)
        return json.loads(message)

    def send(self, method, params=None, session=True):
        """The result of one command (an exception for an error answer)."""
        self.next_id += 1
        message = {'id': self.next_id, 'method': method, 'params': params or {}}
        if session and self.session:
            message['sessionId'] = self.session
        os.write(self.to_child, json.dumps(message).encode() + b'\0')
        while True:
            answer = self._read_message()
            if answer.get('id') == self.next_id:
                if 'error' in answer:
                    raise RuntimeError('%s: %s' % (method, answer['error']))
                return answer.get('result', {})
            self.events.append(answer)

    def wait_event(self, method):
        """Waits for the first event called method (one already seen counts)."""
        for i, event in enumerate(self.events):
            if event.get('method') == method:
                return self.events.pop(i)
        while True:
            event = self._read_message()
            if event.get('method') == method:
                return event
            self.events.append(event)

    def close(self):
        try:
            self.send('Browser.close', session=False)
        except Exception:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self.to_child)
        os.close(self.from_child)


def evaluate(browser, expression):
    answer = browser.send('Runtime.evaluate', {
        'expression': expression, 'returnByValue': True, 'awaitPromise': True})
    if 'exceptionDetails' in answer:
        details = answer['exceptionDetails']
        text = details.get('exception', {}).get('description') or details.get('text')
        raise RuntimeError('eval %r: %s' % (expression, text))
    return answer['result'].get('value')


def point(browser, step):
    """The page coordinates a hover or click step aims at."""
    if 'js' in step:
        return evaluate(browser, step['js'])
    # scrolled into view, then two frames later (when the scroll events
    # are past) measured
    rect = evaluate(browser, '(async () => { const e = document.querySelector(%s); '
                    'if (!e) return null; e.scrollIntoView({block: "nearest", '
                    'inline: "nearest"}); for (let k = 0; k < 2; k++) await new '
                    'Promise(r => requestAnimationFrame(r)); const r = '
                    'e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()'
                    % json.dumps(step.get('hover') or step.get('click')))
    if rect is None:
        raise RuntimeError('no element matches %r' % (step.get('hover') or step.get('click')))
    if 'px' in step:
        return rect[0] + step['px'][0], rect[1] + step['px'][1]
    at = step.get('at', [0.5, 0.5])
    return rect[0] + at[0] * rect[2], rect[1] + at[1] * rect[3]


def run_step(browser, step, results):
    if 'eval' in step:
        results.append(evaluate(browser, step['eval']))
    elif 'hover' in step:
        x, y = point(browser, step)
        browser.send('Input.dispatchMouseEvent', {'type': 'mouseMoved', 'x': x, 'y': y})
    elif 'click' in step:
        x, y = point(browser, step)
        browser.send('Input.dispatchMouseEvent', {'type': 'mouseMoved', 'x': x, 'y': y})
        for kind in ('mousePressed', 'mouseReleased'):
            browser.send('Input.dispatchMouseEvent', {'type': kind, 'x': x, 'y': y,
                                                      'button': 'left', 'clickCount': 1})
    elif 'key' in step:
        if 'on' in step:
            evaluate(browser, 'document.querySelector(%s).focus()' % json.dumps(step['on']))
        key = step['key']
        codes = {'Enter': 13, 'Tab': 9, 'Escape': 27, 'ArrowLeft': 37, 'ArrowUp': 38,
                 'ArrowRight': 39, 'ArrowDown': 40, ' ': 32}
        params = {'key': key, 'code': key, 'windowsVirtualKeyCode': codes.get(key, 0)}
        if key == 'Enter':
            params['text'] = '\r'
        browser.send('Input.dispatchKeyEvent', dict(params, type='keyDown'))
        browser.send('Input.dispatchKeyEvent', dict(params, type='keyUp'))
    elif 'scheme' in step:
        browser.send('Emulation.setEmulatedMedia', {'features': [
            {'name': 'prefers-color-scheme', 'value': step['scheme']}]})
    elif 'screenshot' in step:
        shot = browser.send('Page.captureScreenshot', {'format': 'png'})
        with open(step['screenshot'], 'wb') as f:
            f.write(base64.b64decode(shot['data']))
    else:
        raise RuntimeError('unknown step %r' % step)


def collect(browser, report):
    """Moves the console messages, errors and requests seen into report."""
    for event in browser.events:
        method, params = event.get('method'), event.get('params', {})
        if method == 'Runtime.consoleAPICalled':
            text = ' '.join(str(a.get('value', a.get('description', '')))
                            for a in params.get('args', []))
            report['console'].append('%s: %s' % (params.get('type'), text))
        elif method == 'Runtime.exceptionThrown':
            details = params.get('exceptionDetails', {})
            report['errors'].append(details.get('exception', {}).get('description')
                                    or details.get('text', 'exception'))
        elif method == 'Log.entryAdded':
            entry = params.get('entry', {})
            if entry.get('level') == 'error':
                report['errors'].append('%s: %s' % (entry.get('source'), entry.get('text')))
        elif method == 'Network.requestWillBeSent':
            report['requests'].append(params.get('request', {}).get('url'))
        elif method == 'Network.loadingFailed' and not params.get('canceled'):
            report['errors'].append('request failed: %s' % params.get('errorText'))
    browser.events = []


def main(argv):
    global WIDTH, HEIGHT
    timeout = 30.0
    while len(argv) > 2 and argv[1] in ('--timeout', '--size'):
        if argv[1] == '--timeout':
            timeout = float(argv[2])
        else:
            WIDTH, HEIGHT = (int(x) for x in argv[2].split('x'))
        argv = argv[:1] + argv[3:]
    if len(argv) not in (2, 3):
        sys.exit(__doc__)
    page, hash_mark, fragment = argv[1].partition('#')
    page = os.path.abspath(page)
    steps = json.loads(argv[2]) if len(argv) == 3 else []
    binary = shutil.which('chromium') or shutil.which('chromium-browser')
    if not binary:
        print('browser.py: chromium is not installed (apt-get install chromium)',
              file=sys.stderr)
        return 2
    report = {'console': [], 'errors': [], 'requests': [], 'results': []}
    profile = tempfile.mkdtemp(prefix='selfattn-chromium-')
    browser = None
    try:
        browser = Browser(binary, profile, time.monotonic() + timeout)
        target = browser.send('Target.createTarget', {'url': 'about:blank'})
        attached = browser.send('Target.attachToTarget',
                                {'targetId': target['targetId'], 'flatten': True})
        browser.session = attached['sessionId']
        for domain in ('Runtime', 'Log', 'Network', 'Page'):
            browser.send(domain + '.enable')
        browser.send('Emulation.setDeviceMetricsOverride', {
            'width': WIDTH, 'height': HEIGHT, 'deviceScaleFactor': 1, 'mobile': False})
        browser.events = []   # about:blank's
        browser.send('Page.navigate', {'url': 'file://' + page + hash_mark + fragment})
        browser.wait_event('Page.loadEventFired')
        for step in steps:
            run_step(browser, step, report['results'])
        evaluate(browser, 'new Promise(r => requestAnimationFrame(() => r(0)))')
        collect(browser, report)
    except (TimeoutError, EOFError, RuntimeError, OSError) as e:
        print('browser.py: %s' % e, file=sys.stderr)
        if browser:
            collect(browser, report)
            print(json.dumps(report, indent=1), file=sys.stderr)
        return 2
    finally:
        if browser:
            browser.close()
        shutil.rmtree(profile, ignore_errors=True)
    print(json.dumps(report))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
