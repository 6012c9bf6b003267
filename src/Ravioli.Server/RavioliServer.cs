using System.Net;
using Ravioli.Api;
using Ravioli.Brokers;

namespace Ravioli.Server;

/// <summary>The control plane's composition root: configuration from the command line, Kestrel, the API.</summary>
public static class RavioliServer
{
    public static readonly IReadOnlyDictionary<string, string> Switches = new Dictionary<string, string>
    {
        ["--data-dir"] = "Ravioli:DataDirectory",
        ["--api-port"] = "Ravioli:ApiPort",
        ["--listen"] = "Ravioli:ListenAddress",
        ["--router-port"] = "Ravioli:RouterPort",
        ["--apps-domain"] = "Ravioli:AppsDomain",
        ["--database"] = "Ravioli:Database",
        ["--node-url"] = "Ravioli:NodeUrl",
        ["--services"] = "Ravioli:Services",
        ["--services-postgres"] = "Ravioli:ServicesPostgresAdmin",
        ["--services-mariadb"] = "Ravioli:ServicesMariaDbAdmin",
    };

    public static string DefaultDataDirectory =>
        Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".ravioli");

    public static WebApplication Build(string[] args, Action<WebApplicationBuilder>? configure = null)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = [], ContentRootPath = AppContext.BaseDirectory });
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Ravioli:DataDirectory"] = DefaultDataDirectory,
            ["Ravioli:AdminPassword"] = Environment.GetEnvironmentVariable("RAVIOLI_ADMIN_PASSWORD") ?? "",
            ["Logging:LogLevel:Default"] = "Information",
            ["Logging:LogLevel:Microsoft.AspNetCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:System.Net.Http.HttpClient"] = "Warning",
            ["Logging:LogLevel:Ravioli.Api.Auth.BearerHandler"] = "Warning",
            // Data protection is registered by the authentication stack but protects nothing of ours.
            ["Logging:LogLevel:Microsoft.AspNetCore.DataProtection"] = "Error",
        });
        builder.Configuration.AddEnvironmentVariables("RAVIOLI__");
        builder.Configuration.AddCommandLine(args, Switches.ToDictionary());
        configure?.Invoke(builder);

        var dataDirectory = Ravioli.Core.Security.DataDirectory.EnsureTraversable(builder.Configuration["Ravioli:DataDirectory"]!);
        builder.Configuration["Ravioli:DataDirectory"] = dataDirectory;

        var port = builder.Configuration.GetValue("Ravioli:ApiPort", 8080);
        var address = IPAddress.Parse(builder.Configuration["Ravioli:ListenAddress"] ?? "127.0.0.1");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(address, port);
            k.AddServerHeader = false;
            // JSON bodies are capped at 1 MiB by the API itself; this is the outer fence for everything else.
            k.Limits.MaxRequestBodySize = 2 * 1024 * 1024;
        });
        builder.Services.AddRavioliApi(builder.Configuration);
        var services = BrokerSelection(builder.Configuration["Ravioli:Services"]);
        if (services.Run)
        {
            builder.Services.AddRavioliBrokers(BrokerOptions(builder.Configuration, dataDirectory, services.Enabled));
            builder.Services.AddHostedService<BuiltInBrokersStartup>();
        }

        var app = builder.Build();
        app.MapRavioliApi();
        if (services.Run)
        {
            app.MapRavioliBrokers();
        }
        return app;
    }

    /// <summary>--services: empty = every broker whose server is installed, "none" = no built-in brokers, else a comma list.</summary>
    public static (bool Run, IReadOnlySet<string>? Enabled) BrokerSelection(string? value) => value?.Trim() switch
    {
        null or "" or "auto" => (true, null),
        "none" => (false, null),
        var list => (true, list.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).ToHashSet(StringComparer.Ordinal)),
    };

    public static BrokerOptions BrokerOptions(IConfiguration configuration, string dataDirectory, IReadOnlySet<string>? enabled) => new()
    {
        DataDirectory = dataDirectory,
        Enabled = enabled,
        PostgresAdminConnectionString = NullIfEmpty(configuration["Ravioli:ServicesPostgresAdmin"]),
        MariaDbAdminConnectionString = NullIfEmpty(configuration["Ravioli:ServicesMariaDbAdmin"]),
    };

    private static string? NullIfEmpty(string? value) => string.IsNullOrWhiteSpace(value) ? null : value;

    public static Uri ListeningAddress(WebApplication app)
    {
        var server = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>();
        var addresses = server.Features.Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()!.Addresses;
        return new Uri(addresses.First());
    }
}
