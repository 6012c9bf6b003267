using Microsoft.Extensions.Options;
using Ravioli.Api;
using Ravioli.Brokers;
using Ravioli.Server;

Ravioli.Core.Security.DataDirectory.RestrictUmask();
if (args.FirstOrDefault() == "stop-services")
{
    // ./ravioli down: stop the built-in brokers' servers (their data stays), without starting the API.
    var config = new ConfigurationBuilder()
        .AddInMemoryCollection(new Dictionary<string, string?> { ["Ravioli:DataDirectory"] = RavioliServer.DefaultDataDirectory })
        .AddCommandLine(args[1..], RavioliServer.Switches.ToDictionary()).Build();
#pragma warning disable ASP0000 // a one-shot command with its own small container, not a second copy of the app's
    var services = new ServiceCollection().AddLogging(l => l.AddSimpleConsole(o => o.SingleLine = true))
        .AddRavioliBrokers(RavioliServer.BrokerOptions(config, config["Ravioli:DataDirectory"]!, null)).BuildServiceProvider();
#pragma warning restore ASP0000
    await using (services)
    {
        await services.GetRequiredService<Ravioli.Brokers.IBuiltInBrokers>().StopServersAsync(CancellationToken.None);
    }
    Console.WriteLine("Stopped the services' servers (their data stays in the data directory).");
    return 0;
}

var app = RavioliServer.Build(args);
var options = app.Services.GetRequiredService<IOptions<RavioliApiOptions>>().Value;
Bootstrap.Result boot;
try
{
    boot = await Bootstrap.InitializeAsync(app.Services);
}
catch (Exception e) when (e is not OperationCanceledException)
{
    await Console.Error.WriteLineAsync($"ravioli: cannot open the database: {e.GetBaseException().Message}");
    await Console.Error.WriteLineAsync("Check --database (or the data directory's permissions) and start again.");
    return 1;
}

await app.StartAsync();
var api = RavioliServer.ListeningAddress(app).ToString().TrimEnd('/');
var pidFile = Path.Combine(options.DataDirectory, "control-plane.pid");
await File.WriteAllTextAsync(pidFile, Environment.ProcessId + "\n");
var password = boot.AdminPasswordSource == "RAVIOLI_ADMIN_PASSWORD"
    ? "the admin password is RAVIOLI_ADMIN_PASSWORD"
    : $"admin password in {boot.AdminPasswordSource}";
Console.WriteLine($"Ravioli is up: API {api} ({password}; data in {options.DataDirectory}). Ctrl-C stops it.");

await app.WaitForShutdownAsync();
File.Delete(pidFile);
return 0;
