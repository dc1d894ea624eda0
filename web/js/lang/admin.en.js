// Texts of the administrator pages, merged into en.js.
export default {};
