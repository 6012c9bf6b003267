using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Ravioli.Api.Brokering;
using Ravioli.Brokers;

namespace Ravioli.Server;

/// <summary>
/// Once the API listens: starts (or re-adopts) the backing servers of the built-in brokers, then registers each broker
/// with the platform at its URL inside this server — the same OSB client path as any third-party broker.
/// </summary>
public sealed partial class BuiltInBrokersStartup(
    IBuiltInBrokers brokers, PlatformBrokers platform, IServer server, IHostApplicationLifetime lifetime, ILogger<BuiltInBrokersStartup> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var started = new TaskCompletionSource();
        using (lifetime.ApplicationStarted.Register(() => started.TrySetResult()))
        {
            await started.Task.WaitAsync(stoppingToken);
        }
        IReadOnlyList<BuiltInBroker> offered;
        try
        {
            offered = await brokers.StartAsync(stoppingToken);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            LogStartFailed(logger, e);
            return;
        }
        var address = new Uri(server.Features.Get<IServerAddressesFeature>()!.Addresses.First());
        var loopback = new UriBuilder(address) { Host = "127.0.0.1" }.Uri;
        await platform.RegisterAsync(
            offered.Select(b => new PlatformBroker(b.Name, new Uri(loopback, b.PathPrefix), b.Username, b.Password)), stoppingToken);
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The built-in service brokers could not start; the marketplace offers only registered third-party brokers")]
    private static partial void LogStartFailed(ILogger logger, Exception exception);
}
