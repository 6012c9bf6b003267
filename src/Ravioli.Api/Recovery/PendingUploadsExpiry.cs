using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Ravioli.Store;

namespace Ravioli.Api.Recovery;

/// <summary>
/// Level-triggered, like Cloud Foundry's pending-packages cleanup: at start and every few minutes, packages that waited
/// for their bits longer than <see cref="RavioliApiOptions.PendingUploadExpiry"/> are FAILED with a message, so a push
/// cut off between creating a package and uploading it (a crash, a killed CLI) leaves nothing waiting forever.
/// </summary>
public sealed partial class PendingUploadsExpiry(IServiceScopeFactory scopes, TimeProvider time, IOptions<RavioliApiOptions> options, ILogger<PendingUploadsExpiry> logger) : BackgroundService
{
    public static readonly TimeSpan Interval = TimeSpan.FromMinutes(5);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await using var scope = scopes.CreateAsyncScope();
                var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
                var expired = await StartupRecovery.ExpirePendingUploadsAsync(db, time.GetUtcNow().UtcDateTime, options.Value.PendingUploadExpiry, stoppingToken);
                if (expired > 0)
                {
                    LogExpired(logger, expired);
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                // The next round tries again; an unavailable database must not stop the service for good.
                LogFailed(logger, e);
            }
            await Task.Delay(Interval, time, stoppingToken).ContinueWith(_ => { }, TaskScheduler.Default);
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Failed {Count} package(s) whose bits never arrived")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Expiring packages that wait for their bits failed; retrying later")]
    private static partial void LogFailed(ILogger logger, Exception exception);
}
