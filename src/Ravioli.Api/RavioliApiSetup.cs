using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using Ravioli.Api.Apis;
using Ravioli.Api.Auth;
using Ravioli.Api.Http;
using Ravioli.Api.Secrets;
using Ravioli.Store;

using Ravioli.Core.Security;
namespace Ravioli.Api;

/// <summary>Registers and maps the control plane API; the server project composes it with the rest.</summary>
public static class RavioliApiSetup
{
    public static IServiceCollection AddRavioliApi(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddOptions<RavioliApiOptions>()
            .Bind(configuration.GetSection(RavioliApiOptions.Section))
            .ValidateDataAnnotations()
            .ValidateOnStart();
        services.TryAddSingleton(TimeProvider.System);
        services.TryAddSingleton<DesiredStateSignal>();
        services.AddDbContext<RavioliDb>((sp, o) => StoreSetup.Configure(o, ConnectionString(sp.GetRequiredService<IOptions<RavioliApiOptions>>().Value)));
        services.AddSingleton<DatabaseReadiness>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<LoginThrottle>();
        services.AddSingleton<Runs.RunSpecs>();
        services.TryAddSingleton(new Staging.Packages.PackageLimits());
        // Staging runs in the same kind of sandbox as apps (bwrap, unprivileged uid); unsandboxed only where bwrap is missing, loudly.
        services.TryAddSingleton<Staging.Running.IStagingRunner>(sp => new Staging.Running.SandboxedStagingRunner(
            new Staging.Running.ProcessStagingRunner(), sp.GetRequiredService<Microsoft.Extensions.Logging.ILogger<Staging.Running.SandboxedStagingRunner>>()));
        services.AddSingleton<Builds.BuildLogs>();
        services.AddSingleton<Builds.StagingService>();
        services.AddHostedService(sp => sp.GetRequiredService<Builds.StagingService>());
        services.AddHostedService<Runs.NodeEventsPoller>();
        services.AddHostedService<Recovery.PendingUploadsExpiry>();
        services.AddHttpClient<Runs.NodeClient>(c => c.Timeout = Timeout.InfiniteTimeSpan);
        services.AddSingleton(sp => NodeToken.FromDataDirectory(sp.GetRequiredService<IOptions<RavioliApiOptions>>().Value.DataDirectory));
        services.AddSingleton(sp => new Store.Blobs.BlobStore(sp.GetRequiredService<IOptions<RavioliApiOptions>>().Value.DataDirectory));
        services.AddSingleton(sp => SecretBox.FromDataDirectory(sp.GetRequiredService<IOptions<RavioliApiOptions>>().Value.DataDirectory));

        services.TryAddSingleton(new Services.Osb.OsbClientOptions());
        // Not the platform's TimeProvider: broker timeouts are real time even where tests fake the clock.
        services.AddSingleton(sp => new Services.Osb.OsbClient(Services.Osb.OsbClient.CreateHttpClient(), sp.GetRequiredService<Services.Osb.OsbClientOptions>()));
        services.AddSingleton<Brokering.BrokerCatalogs>();
        services.AddSingleton<Brokering.ServiceEnvironment>();
        services.AddSingleton<Brokering.PlatformBrokers>();
        services.AddSingleton<Brokering.ServiceOperations>();
        services.AddHostedService(sp => sp.GetRequiredService<Brokering.ServiceOperations>());

        services.AddProblemDetails(o => o.CustomizeProblemDetails = ProblemWriter.Describe);
        services.AddExceptionHandler<ProblemExceptionHandler>();
        services.ConfigureHttpJsonOptions(o =>
        {
            o.SerializerOptions.PropertyNamingPolicy = JsonBody.Options.PropertyNamingPolicy;
            o.SerializerOptions.DictionaryKeyPolicy = null;
            // Unicode stays readable, but < > & ' + are written as \u escapes: a name like "<script>" stays inert even
            // where a client pastes a response into a page or a browser second-guesses the content type.
            o.SerializerOptions.Encoder = System.Text.Encodings.Web.JavaScriptEncoder.Create(System.Text.Unicode.UnicodeRanges.All);
        });
        services.AddAuthentication(BearerHandler.SchemeName).AddScheme<AuthenticationSchemeOptions, BearerHandler>(BearerHandler.SchemeName, null);
        services.AddAuthorization();
        services.AddOpenApi();
        return services;
    }

    public static string ConnectionString(RavioliApiOptions options) =>
        string.IsNullOrWhiteSpace(options.Database) ? StoreSetup.SqliteConnection(options.DataDirectory, options.DatabaseBusyTimeout) : options.Database;

    public static WebApplication MapRavioliApi(this WebApplication app)
    {
        app.UseExceptionHandler();
        app.UseStatusCodePages();
        app.Use(RequestGuards.NoSniffAsync);
        app.Use(RequestGuards.RefuseNulInQueryAsync);
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapOpenApi().AllowAnonymous();
        app.MapRootApi();
        app.MapTokenApi();
        app.MapNodeApi();
        var v3 = app.MapGroup("/v3").RequireAuthorization();
        v3.MapOrganizationsApi()
            .MapSpacesApi()
            .MapUsersApi()
            .MapRolesApi()
            .MapQuotasApi()
            .MapAppsApi()
            .MapAuditEventsApi()
            .MapProcessesApi()
            .MapDropletsApi()
            .MapRoutesApi()
            .MapPackagesApi()
            .MapBuildsApi()
            .MapBuildpacksApi()
            .MapTasksApi()
            .MapServiceBrokersApi()
            .MapServiceInstancesApi()
            .MapServiceBindingsApi();
        return app;
    }
}
