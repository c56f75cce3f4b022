#!/usr/bin/python3
"""page_data.py PAGE [WHAT]: print the text of one data element of a page
that `selfattn -f html` wrote, as it is in the file (JSON, with '<', '>' and
'&' written \\u003c, \\u003e, \\u0026), followed by a newline.

WHAT is a layer's number (default 0: the <script class="selfattn-data"
data-layer="N"> element), "page" (the page's settings, id="selfattn-page"),
"mask N" (layer N's mask) or "count" (how many layers the page has)."""
import re
import sys


def main(argv):
    if len(argv) < 2:
        sys.exit(__doc__)
    page = open(argv[1], encoding='utf-8').read()
    what = argv[2:] or ['0']
    if what == ['count']:
        print(len(re.findall(r'^<script type="application/json"[^>]* class="selfattn-data"', page, re.M)))
        return 0
    if what == ['page']:
        pattern = r'<script type="application/json" id="selfattn-page">(.*?)</script>'
    elif what[0] == 'mask':
        pattern = (r'<script type="application/json" class="selfattn-mask" data-layer="%d">(.*?)</script>'
                   % int(what[1]))
    else:
        pattern = (r'<script type="application/json"[^>]* class="selfattn-data" data-layer="%d">(.*?)</script>'
                   % int(what[0]))
    found = re.search(pattern, page, re.S)
    if not found:
        print('page_data.py: no %s in %s' % (' '.join(what), argv[1]), file=sys.stderr)
        return 1
    sys.stdout.write(found.group(1) + ('' if found.group(1).endswith('\n') else '\n'))
    return 0


if __name__ == '__main__':
    sys.exit(main(sys.argv))
