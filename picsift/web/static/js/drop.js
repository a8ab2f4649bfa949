// A drop zone around a file input: choose or drop one image, preview it, remove it.

/**
 * Wire the drop zone `root` (with #…-empty / -preview / -img / -name / -clear children as in
 * the templates) to `input`; `onChange(file | null)` is called whenever the choice changes.
 */
export function dropZone(root, input, onChange) {
  const empty = root.querySelector("[id$=drop-empty]");
  const preview = root.querySelector("[id$=drop-preview]");
  const img = root.querySelector("[id$=drop-img]");
  const name = root.querySelector("[id$=drop-name]");
  const clear = root.querySelector("[id$=drop-clear]");
  let url = null;

  function show(file) {
    if (url) URL.revokeObjectURL(url);
    url = file ? URL.createObjectURL(file) : null;
    empty.hidden = Boolean(file);
    preview.hidden = !file;
    img.src = url || "";
    name.textContent = file ? file.name : "";
    onChange(file);
  }

  input.addEventListener("change", () => show(input.files[0] || null));
  clear.addEventListener("click", () => {
    input.value = "";
    show(null);
    input.focus();
  });
  for (const type of ["dragenter", "dragover"]) {
    root.addEventListener(type, (event) => {
      event.preventDefault();
      root.classList.add("over");
    });
  }
  root.addEventListener("dragleave", () => root.classList.remove("over"));
  root.addEventListener("drop", (event) => {
    event.preventDefault();
    root.classList.remove("over");
    const file = [...event.dataTransfer.files].find((f) => f.type.startsWith("image/"));
    if (!file) return;
    const list = new DataTransfer();
    list.items.add(file);
    input.files = list.files;
    show(file);
  });
  return { file: () => input.files[0] || null };
}
