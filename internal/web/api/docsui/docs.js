// Starts Swagger UI on the element #api with the OpenAPI document named by
// its data-spec attribute. Nothing is loaded from other origins: the
// validator badge (validator.swagger.io) is off.
window.addEventListener("load", function () {
  var el = document.getElementById("api");
  window.ui = SwaggerUIBundle({
    url: el.getAttribute("data-spec"),
    domNode: el,
    validatorUrl: null,
    deepLinking: true,
    docExpansion: "list",
    defaultModelsExpandDepth: 0,
    tryItOutEnabled: false
  });
});
