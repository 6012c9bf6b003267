using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Ravioli.Api.Apis;
using Ravioli.Core.Apps;
using Ravioli.Services.Osb;
using Ravioli.Store;
using Ravioli.Store.Blobs;
using Ravioli.Store.Entities;
using Ravioli.Testing;

namespace Ravioli.Api.Tests;

/// <summary>A JSON write endpoint as the running API maps it: method, route pattern and the record its body is read into.</summary>
public sealed record WriteEndpoint(string Method, string Pattern, Type RequestType)
{
    public override string ToString() => $"{Method} {Pattern}";
}

/// <summary>
/// One of everything a write endpoint can name, in one org and space, plus a registered test broker with a public
/// plan: the targets of the hostile-input corpus and the fuzzer. Route patterns are filled from <see cref="Guids"/>.
/// </summary>
public class HostileWorld : RavioliServerFixture
{
    public TestBroker Broker { get; } = new();
    public HttpClient Admin { get; private set; } = null!;
    public string Org = "", Space = "", User = "", Quota = "", App = "", Route = "", Domain = "", Buildpack = "", BrokerGuid = "", Plan = "",
        Instance = "", Binding = "", Package = "", Droplet = "";

    /// <summary>The guid a {guid} stands for, by the collection it follows in a route pattern.</summary>
    public IReadOnlyDictionary<string, string> Guids { get; private set; } = new Dictionary<string, string>();

    protected override void Configure(WebApplicationBuilder builder) =>
        // A body that names an unreachable broker must not hold a request for the default 60 s.
        builder.Services.AddSingleton(new OsbClientOptions { RequestTimeout = TimeSpan.FromSeconds(2) });

    public override async Task InitializeAsync()
    {
        await Broker.InitializeAsync();
        await base.InitializeAsync();
        Admin = await AdminClientAsync();
        Org = await CreateAsync("/v3/organizations", new { name = "hostile-org" });
        Space = await CreateAsync("/v3/spaces", new { name = "s", relationships = new { organization = Ref(Org) } });
        User = await CreateAsync("/v3/users", new { username = "victim", password = "long-enough" });
        Quota = await CreateAsync("/v3/organization_quotas", new { name = "q" });
        App = await CreateAsync("/v3/apps", new { name = "a", relationships = new { space = Ref(Space) }, environment_variables = new Dictionary<string, string> { ["KEEP"] = "me" } });
        Domain = (await Admin.GetJsonAsync("/v3/domains?names=apps.localhost")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        Route = await CreateAsync("/v3/routes", new { host = "hostile", relationships = new { space = Ref(Space), domain = Ref(Domain) } });
        Buildpack = await CreateAsync("/v3/buildpacks", new { name = "hostile_bp" });
        BrokerGuid = await CreateAsync("/v3/service_brokers", ServicesFixture.BrokerBody("hostile-broker", Broker.Url));
        Plan = (await Admin.GetJsonAsync($"/v3/service_plans?service_broker_guids={BrokerGuid}&names=small")).Expect(HttpStatusCode.OK).GetProperty("resources")[0].Guid();
        (await Admin.PatchJsonAsync($"/v3/service_plans/{Plan}/visibility", new { type = "public" })).Expect(HttpStatusCode.OK);
        Instance = await CreateAsync("/v3/service_instances", new { type = "user-provided", name = "ups", relationships = new { space = Ref(Space) }, credentials = new { password = "ups-secret" } });
        Binding = await CreateAsync("/v3/service_credential_bindings", new { type = "key", name = "k", relationships = new { service_instance = Ref(Instance) } });
        Package = await CreateAsync("/v3/packages", new { type = "bits", relationships = new { app = Ref(App) } });
        Droplet = await PlantDropletAsync(App, "{\"web\":\"./run\"}", "binary_buildpack");
        Guids = new Dictionary<string, string>
        {
            ["organizations"] = Org,
            ["spaces"] = Space,
            ["users"] = User,
            ["organization_quotas"] = Quota,
            ["apps"] = App,
            ["processes"] = App,
            ["routes"] = Route,
            ["domains"] = Domain,
            ["buildpacks"] = Buildpack,
            ["service_brokers"] = BrokerGuid,
            ["service_plans"] = Plan,
            ["service_instances"] = Instance,
            ["service_credential_bindings"] = Binding,
            ["packages"] = Package,
            ["droplets"] = Droplet,
        };
    }

    public static object Ref(string guid) => new { data = new { guid } };

    public async Task<string> CreateAsync(string path, object body) => (await Admin.PostJsonAsync(path, body)).Expect(HttpStatusCode.Created).Guid();

    /// <summary>A route pattern with its parameters filled in: each {guid} by the resource of the collection before it.</summary>
    public string Fill(string pattern)
    {
        var segments = pattern.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            segments[i] = segments[i] switch
            {
                "{guid}" => Guids[segments[i - 1]],
                "{type}" => ProcessLimits.WebType,
                _ => segments[i],
            };
        }
        return string.Join('/', segments);
    }

    /// <summary>
    /// Every endpoint the running API maps for POST, PATCH or PUT with a JSON body (declared with Accepts&lt;T&gt;), found
    /// from its endpoint table so a new endpoint joins the hostile tests without anyone listing it.
    /// </summary>
    public IReadOnlyList<WriteEndpoint> JsonWriteEndpoints() => [.. Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m is "POST" or "PATCH" or "PUT")
            .Select(m => (Method: m, Endpoint: e, Accepts: e.Metadata.GetMetadata<IAcceptsMetadata>())))
        .Where(x => x.Accepts?.RequestType is not null && x.Accepts.ContentTypes.Contains("application/json"))
        .Select(x => new WriteEndpoint(x.Method, "/" + x.Endpoint.RoutePattern.RawText!.Trim('/'), x.Accepts!.RequestType!))
        .OrderBy(e => e.Pattern, StringComparer.Ordinal).ThenBy(e => e.Method, StringComparer.Ordinal)];

    /// <summary>Every POST, PATCH, PUT or DELETE the API maps, as "METHOD /pattern".</summary>
    public IReadOnlyList<string> AllWriteEndpoints() => [.. Services.GetRequiredService<EndpointDataSource>().Endpoints
        .OfType<RouteEndpoint>()
        .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Where(m => m is "POST" or "PATCH" or "PUT" or "DELETE")
            .Select(m => $"{m} /{e.RoutePattern.RawText!.Trim('/')}"))
        .Distinct()
        .Order(StringComparer.Ordinal)];

    public override async Task DisposeAsync()
    {
        Admin?.Dispose();
        await base.DisposeAsync();
        await Broker.DisposeAsync();
    }
}
