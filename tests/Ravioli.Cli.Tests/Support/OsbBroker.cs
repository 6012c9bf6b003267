using System.Collections.Concurrent;
using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Ravioli.Cli.Tests.Support;

/// <summary>
/// A small Open Service Broker on 127.0.0.1 for the control plane to call: one offering with a synchronous plan
/// (<c>small</c>), an asynchronous one (<c>large</c>, paid) whose provisions and binds answer 202 and finish on a
/// later last_operation poll, and one whose provision fails at the broker (<c>flaky</c>); binds fail when their
/// parameters say <c>{"fail": true}</c>. It remembers what it was asked, so tests can check what reached it.
/// </summary>
internal sealed class OsbBroker : IAsyncDisposable
{
    public const string Small = "small";
    public const string Large = "large";
    public const string Flaky = "flaky";
    public const string FailureDescription = "out of capacity in zone 1";

    /// <summary>What the broker says to a bind whose parameters ask it to fail (<c>{"fail": true}</c>).</summary>
    public const string BindRefusal = "binding refused: the parameters asked for a failure";

    private readonly WebApplication _app;
    private readonly Dictionary<string, string> _planIds;

    /// <summary>Operations by instance or binding id: what runs ("provision", "deprovision", …) and how often it was polled.</summary>
    private readonly ConcurrentDictionary<string, (string Kind, string Plan, int Polls)> _operations = new();

    private OsbBroker(WebApplication app, string offering)
    {
        _app = app;
        Offering = offering;
        _planIds = new Dictionary<string, string>
        {
            [Guid.NewGuid().ToString()] = Small,
            [Guid.NewGuid().ToString()] = Large,
            [Guid.NewGuid().ToString()] = Flaky,
        };
    }

    /// <summary>The catalog's one offering, named uniquely unless a test asks for a name.</summary>
    public string Offering { get; }

    public string OfferingId { get; } = Guid.NewGuid().ToString();

    public string Username { get; } = "broker-user";

    public string Password { get; } = "broker-password-" + Guid.NewGuid().ToString("N")[..8];

    public string Url { get; private set; } = string.Empty;

    /// <summary>How many last_operation polls answer "in progress" before an asynchronous operation finishes.</summary>
    public int PollsInProgress { get; set; }

    /// <summary>"METHOD /path" of every request the platform sent.</summary>
    public ConcurrentQueue<string> Requests { get; } = new();

    /// <summary>The bodies of provision requests, by instance id.</summary>
    public ConcurrentDictionary<string, JsonObject> Provisions { get; } = new();

    /// <summary>The bodies of update requests, in order.</summary>
    public ConcurrentQueue<JsonObject> Updates { get; } = new();

    /// <summary>The bodies of bind requests (app bindings and service keys), by binding id.</summary>
    public ConcurrentDictionary<string, JsonObject> Binds { get; } = new();

    public static async Task<OsbBroker> StartAsync(string? offering = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        var app = builder.Build();
        var broker = new OsbBroker(app, offering ?? Names.Unique("db"));
        broker.Map(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        broker.Url = address.TrimEnd('/');
        return broker;
    }

    /// <summary>The credentials the broker hands out for a binding, so tests can find them in VCAP_SERVICES and service keys.</summary>
    public static JsonObject CredentialsFor(string bindingId) => new()
    {
        ["uri"] = $"postgres://u-{bindingId[..8]}:p-{bindingId[..8]}@db.example.com:5432/d",
        ["username"] = $"u-{bindingId[..8]}",
        ["password"] = $"p-{bindingId[..8]}",
    };

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }

    private void Map(WebApplication app)
    {
        app.Use(async (context, next) =>
        {
            Requests.Enqueue($"{context.Request.Method} {context.Request.Path}");
            var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
            if (context.Request.Headers.Authorization.ToString() != expected)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                await context.Response.WriteAsJsonAsync(new { description = "wrong broker credentials" });
                return;
            }

            await next(context);
        });

        app.MapGet("/v2/catalog", () => Json(HttpStatusCode.OK, Catalog()));
        app.MapPut("/v2/service_instances/{id}", async (string id, HttpRequest request) =>
        {
            var body = await BodyAsync(request);
            Provisions[id] = body;
            var plan = _planIds[body["plan_id"]!.GetValue<string>()];
            if (plan == Small)
            {
                return Json(HttpStatusCode.Created, new JsonObject { ["dashboard_url"] = $"https://dashboard.example.com/{id}" });
            }

            _operations[id] = ("provision", plan, 0);
            return Json(HttpStatusCode.Accepted, new JsonObject { ["operation"] = "provision" });
        });
        app.MapPatch("/v2/service_instances/{id}", async (string id, HttpRequest request) =>
        {
            var body = await BodyAsync(request);
            Updates.Enqueue(body);
            var plan = body["plan_id"]?.GetValue<string>() is { } planId ? _planIds[planId] : PlanOf(request);
            if (plan != Large)
            {
                return Json(HttpStatusCode.OK, []);
            }

            _operations[id] = ("update", plan, 0);
            return Json(HttpStatusCode.Accepted, new JsonObject { ["operation"] = "update" });
        });
        app.MapDelete("/v2/service_instances/{id}", (string id, HttpRequest request) =>
        {
            Provisions.TryRemove(id, out _);
            if (PlanOf(request) != Large)
            {
                _operations.TryRemove(id, out _);
                return Json(HttpStatusCode.OK, []);
            }

            _operations[id] = ("deprovision", Large, 0);
            return Json(HttpStatusCode.Accepted, new JsonObject { ["operation"] = "deprovision" });
        });
        app.MapGet("/v2/service_instances/{id}/last_operation", (string id) => LastOperation(id));
        app.MapPut("/v2/service_instances/{id}/service_bindings/{binding}", async (string id, string binding, HttpRequest request) =>
        {
            var body = await BodyAsync(request);
            if (body["parameters"]?["fail"]?.GetValue<bool>() == true)
            {
                return Json(HttpStatusCode.BadRequest, new JsonObject { ["description"] = BindRefusal });
            }

            Binds[binding] = body;
            var plan = _planIds[body["plan_id"]!.GetValue<string>()];
            if (plan != Large)
            {
                return Json(HttpStatusCode.Created, new JsonObject { ["credentials"] = CredentialsFor(binding) });
            }

            _operations[binding] = ("bind", plan, 0);
            return Json(HttpStatusCode.Accepted, new JsonObject { ["operation"] = "bind" });
        });
        app.MapGet("/v2/service_instances/{id}/service_bindings/{binding}", (string id, string binding)
            => Binds.ContainsKey(binding)
                ? Json(HttpStatusCode.OK, new JsonObject { ["credentials"] = CredentialsFor(binding) })
                : Json(HttpStatusCode.NotFound, []));
        app.MapDelete("/v2/service_instances/{id}/service_bindings/{binding}", (string id, string binding, HttpRequest request) =>
        {
            Binds.TryRemove(binding, out _);
            if (PlanOf(request) != Large)
            {
                return Json(HttpStatusCode.OK, []);
            }

            _operations[binding] = ("unbind", Large, 0);
            return Json(HttpStatusCode.Accepted, new JsonObject { ["operation"] = "unbind" });
        });
        app.MapGet("/v2/service_instances/{id}/service_bindings/{binding}/last_operation", (string id, string binding) => LastOperation(binding));
    }

    private IResult LastOperation(string id)
    {
        if (!_operations.TryGetValue(id, out var operation))
        {
            return Json(HttpStatusCode.Gone, []);
        }

        _operations[id] = operation with { Polls = operation.Polls + 1 };
        if (operation.Polls < PollsInProgress)
        {
            return Json(HttpStatusCode.OK, new JsonObject { ["state"] = "in progress", ["description"] = $"{operation.Kind}: step {operation.Polls + 1}" });
        }

        _operations.TryRemove(id, out _);
        return operation.Plan == Flaky && operation.Kind == "provision"
            ? Json(HttpStatusCode.OK, new JsonObject { ["state"] = "failed", ["description"] = FailureDescription })
            : Json(HttpStatusCode.OK, new JsonObject { ["state"] = "succeeded", ["description"] = $"{operation.Kind} done" });
    }

    private string PlanOf(HttpRequest request)
        => request.Query["plan_id"].ToString() is { Length: > 0 } planId && _planIds.TryGetValue(planId, out var plan) ? plan : Small;

    private JsonObject Catalog()
    {
        var plans = new JsonArray();
        foreach (var (id, name) in _planIds)
        {
            var plan = new JsonObject
            {
                ["id"] = id,
                ["name"] = name,
                ["description"] = name switch
                {
                    Small => "A small database, made at once",
                    Large => "A large database, made in the background",
                    _ => "A database that never gets made",
                },
                ["free"] = name != Large,
            };
            if (name == Large)
            {
                plan["metadata"] = JsonNode.Parse("""{"costs": [{"amount": {"usd": 12.5}, "unit": "MONTHLY"}]}""");
            }

            plans.Add(plan);
        }

        return new JsonObject
        {
            ["services"] = new JsonArray(new JsonObject
            {
                ["id"] = OfferingId,
                ["name"] = Offering,
                ["description"] = "Test databases for the rav tests",
                ["bindable"] = true,
                ["plan_updateable"] = true,
                ["tags"] = new JsonArray("sql", "test"),
                ["metadata"] = new JsonObject { ["documentationUrl"] = "https://docs.example.com/db" },
                ["plans"] = plans,
            }),
        };
    }

    private static async Task<JsonObject> BodyAsync(HttpRequest request)
        => JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync())?.AsObject() ?? [];

    private static IResult Json(HttpStatusCode status, JsonObject body)
        => Results.Text(body.ToJsonString(), "application/json", Encoding.UTF8, (int)status);
}
