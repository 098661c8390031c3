// Let the ipywidgets HTML manager find its own files (fonts, chunks) in _static/, whatever
// the depth of the page: require.js resolves module paths against this base URL.
require.config({ baseUrl: document.documentElement.dataset.content_root + "_static/" });
