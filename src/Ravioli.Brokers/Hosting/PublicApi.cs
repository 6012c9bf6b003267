using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Ravioli.Brokers.Hosting;
using Ravioli.Brokers.Osb;

namespace Ravioli.Brokers;

/// <summary>Configures the built-in brokers; every value has a default, so only <see cref="DataDirectory"/> is needed.</summary>
public sealed class BrokerOptions
{
    /// <summary>The platform data directory: broker state goes to &lt;data&gt;/brokers, server data to &lt;data&gt;/services.</summary>
    public required string DataDirectory { get; init; }

    /// <summary>Null (the default) offers every broker whose server is installed; else only these of postgresql, redis, mariadb, rabbitmq.</summary>
    public IReadOnlySet<string>? Enabled { get; init; }

    /// <summary>
    /// An Npgsql connection string of a superuser on an existing PostgreSQL server, used for the <c>shared</c> plan instead
    /// of a platform-started cluster (e.g. <c>Host=10.0.0.5;Port=5432;Username=postgres;Password=...</c>).
    /// </summary>
    public string? PostgresAdminConnectionString { get; init; }

    /// <summary>
    /// An existing MariaDB/MySQL server for the <c>shared</c> plan, as <c>Server=host;Port=3306;User=root;Password=...</c>;
    /// the account needs ALL PRIVILEGES WITH GRANT OPTION. Null starts a platform-managed server.
    /// </summary>
    public string? MariaDbAdminConnectionString { get; init; }
}

/// <summary>One built-in broker as the control plane registers it: its URL path under the API and its basic-auth credentials.</summary>
public sealed record BuiltInBroker(string Name, string PathPrefix, string Username, string Password)
{
    /// <summary>Keeps the password out of logs and exception messages that print the record.</summary>
    public override string ToString() => $"BuiltInBroker {{ Name = {Name}, PathPrefix = {PathPrefix}, Username = {Username} }}";
}

/// <summary>Starts the built-in brokers' backing servers and tells which brokers are offered.</summary>
public interface IBuiltInBrokers
{
    /// <summary>Starts or re-adopts the backing servers and returns the offered brokers with their per-installation credentials.</summary>
    Task<IReadOnlyList<BuiltInBroker>> StartAsync(CancellationToken ct);

    /// <summary>Stops every server the brokers started (shared servers and dedicated instance servers).</summary>
    Task StopServersAsync(CancellationToken ct);
}

/// <summary>Registers and maps the built-in OSB brokers inside an ASP.NET Core app.</summary>
public static class BrokerHosting
{
    public static IServiceCollection AddRavioliBrokers(this IServiceCollection services, BrokerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (string.IsNullOrWhiteSpace(options.DataDirectory))
        {
            throw new ArgumentException("BrokerOptions.DataDirectory is required", nameof(options));
        }
        foreach (var name in options.Enabled ?? new HashSet<string>())
        {
            if (!BrokerNames.All.Contains(name, StringComparer.Ordinal))
            {
                throw new ArgumentException($"unknown broker '{name}' in BrokerOptions.Enabled; known: {string.Join(", ", BrokerNames.All)}", nameof(options));
            }
        }
        services.TryAddSingleton(options);
        services.TryAddSingleton<BuiltInBrokers>();
        services.TryAddSingleton<IBuiltInBrokers>(sp => sp.GetRequiredService<BuiltInBrokers>());
        return services;
    }

    /// <summary>Maps /brokers/{name}/v2/... for every broker; a broker that is not offered answers 404.</summary>
    public static IEndpointRouteBuilder MapRavioliBrokers(this IEndpointRouteBuilder endpoints)
    {
        OsbApi.Map(endpoints);
        return endpoints;
    }
}
