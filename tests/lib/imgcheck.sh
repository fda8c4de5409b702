# imgcheck.sh - sourced by the end-to-end tests that load an HTML report in
# headless Chromium (tests/e2e/test_plot.sh, test_profile.sh).  Needs $T (the
# test's scratch folder).  Sets CHROME (empty: not installed) and defines
#   dom FILE       the DOM after the page's load handlers ran
#   imgcheck PAGE  the DOM of a copy of PAGE (in $T, with a <base> at PAGE's
#                  folder so that its relative image paths still resolve)
#                  with a check appended, which writes "IMG-CHECK images=N
#                  failed=M [the src of each failed image]" into it
#   imgmark FILE   that marker, from a DOM in FILE
# The pages ship no script: the check is the test's.
cat >"$T/imgcheck.js" <<'JS'
<script>
window.addEventListener('load', function () {
  var bad = [], imgs = document.getElementsByTagName('img');
  for (var i = 0; i < imgs.length; i++)
    if (!(imgs[i].complete && imgs[i].naturalWidth > 0)) bad.push(imgs[i].getAttribute('src'));
  var m = document.createElement('p');
  m.id = 'img-check';
  m.textContent = 'IMG-CHECK images=' + imgs.length + ' failed=' + bad.length + (bad.length ? ' ' + bad.join(' ') : '');
  document.body.appendChild(m);
});
</script>
JS
CHROME=$(command -v chromium || command -v chromium-browser || true)
dom() {
	timeout 30 "$CHROME" --headless --no-sandbox --disable-gpu --disable-background-networking \
		--disable-component-update --disable-sync --no-first-run --user-data-dir="$(mktemp -d "$T/chr.XXXX")" \
		--dump-dom "file://$1" 2>/dev/null
}
nchk=0
imgcheck() {
	nchk=$((nchk + 1))
	c=$T/imgcheck$nchk.html
	sed "0,/<head>/s||<head><base href=\"file://$(cd "$(dirname "$1")" && pwd)/\">|" "$1" >"$c"
	cat "$T/imgcheck.js" >>"$c"
	dom "$c"
}
imgmark() {
	grep -o 'IMG-CHECK images=[0-9]* failed=[0-9]*[^<]*' "$1"
}
