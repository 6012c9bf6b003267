using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Ravioli.Api.Http;
using Ravioli.Api.Secrets;
using Ravioli.Store;
using Ravioli.Store.Entities;

namespace Ravioli.Api.Brokering;

/// <summary>A broker the platform runs itself (the built-in PostgreSQL, Redis, … brokers).</summary>
public sealed record PlatformBroker(string Name, Uri Url, string Username, string Password)
{
    public override string ToString() => $"PlatformBroker {{ Name = {Name}, Url = {Url} }}";
}

/// <summary>
/// Registers the platform's own brokers as global service brokers, with their plans enabled for everyone the first
/// time (a fresh install's marketplace is usable at once; admins may restrict it afterwards). On later starts the URL
/// and credentials are brought up to date and the catalog is read again; the access an admin chose is kept.
/// </summary>
public sealed partial class PlatformBrokers(IServiceScopeFactory scopes, BrokerCatalogs catalogs, SecretBox secrets, ILogger<PlatformBrokers> logger)
{
    public static string BrokerName(string service) => $"{service}-broker";

    public async Task RegisterAsync(IEnumerable<PlatformBroker> brokers, CancellationToken ct)
    {
        foreach (var broker in brokers)
        {
            try
            {
                await RegisterOneAsync(broker, ct);
            }
            catch (ApiProblem e)
            {
                LogRegistrationFailed(logger, broker.Name, e.Message);
            }
        }
    }

    private async Task RegisterOneAsync(PlatformBroker broker, CancellationToken ct)
    {
        using var scope = scopes.CreateScope();
        var db = scope.ServiceProvider.GetRequiredService<RavioliDb>();
        var name = BrokerName(broker.Name);
        var entity = await db.ServiceBrokers.FirstOrDefaultAsync(b => b.Name == name, ct);
        var first = entity is null;
        if (entity is null)
        {
            entity = new ServiceBrokerEntity { Name = name };
            db.ServiceBrokers.Add(entity);
        }
        entity.Url = broker.Url.ToString().TrimEnd('/');
        entity.Username = broker.Username;
        entity.Password = secrets.Seal(broker.Password);
        var catalog = await catalogs.FetchAsync(catalogs.Endpoint(entity), ct);
        await BrokerCatalogs.ApplyAsync(db, entity, catalog, ct);
        if (first)
        {
            foreach (var plan in db.ChangeTracker.Entries<ServicePlanEntity>().Select(e => e.Entity))
            {
                plan.VisibilityType = VisibilityTypes.Public;
            }
        }
        await db.SaveChangesAsync(ct);
        var services = string.Join(", ", catalog.Services.Select(s => s.Name));
        LogRegistered(logger, name, entity.Url, services);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Service broker {Name} at {Url} offers: {Services}")]
    private static partial void LogRegistered(ILogger logger, string name, string url, string services);

    [LoggerMessage(Level = LogLevel.Error, Message = "Could not register the built-in service broker {Name}: {Reason}")]
    private static partial void LogRegistrationFailed(ILogger logger, string name, string reason);
}
