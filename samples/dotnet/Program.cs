// A minimal ASP.NET Core app for Ravioli's dotnet_core_buildpack: answers GET / on $PORT.
var builder = WebApplication.CreateBuilder(args);
var port = Environment.GetEnvironmentVariable("PORT") ?? "8080";
builder.WebHost.UseUrls($"http://0.0.0.0:{port}");

var app = builder.Build();
app.MapGet("/", () => $"Hello from .NET {Environment.Version} on Ravioli!\n");
app.Run();
