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
using Xunit;

namespace Ravioli.Testing;

/// <summary>A request the test broker received.</summary>
public sealed record BrokerRequest(string Method, string Path, IReadOnlyDictionary<string, string> Query, IReadOnlyDictionary<string, string> Headers, JsonObject? Body)
{
    /// <summary>"METHOD /path", so an assertion over <see cref="TestBroker.Requests"/> that fails lists what reached the broker.</summary>
    public override string ToString() => $"{Method} {Path}";
}

/// <summary>
/// A small Open Service Broker (OSB 2.17) on 127.0.0.1 for tests of the control plane and the CLI. Its catalog has one
/// offering, named <see cref="Offering"/>, with four plans: <c>small</c> (synchronous, free), <c>large</c> (paid, with
/// costs; its provisions, updates, binds and deprovisions answer 202 and finish after <see cref="PollsBeforeDone"/>
/// last_operation polls), <c>slow</c> (never finishes; maximum_polling_duration 60 s) and <c>flaky</c> (its provision
/// fails at the broker with <see cref="ProvisionFailure"/>). Binds whose parameters say <c>{"fail": true}</c> are refused
/// with <see cref="BindRefusal"/>. It keeps instances and bindings in memory, records every request, and can be told to
/// misbehave on the next call of a kind ("provision", "bind", "deprovision", "unbind", "update", "last_operation") with
/// <see cref="Script(string, Func{HttpContext, Task})"/>.
/// </summary>
public sealed class TestBroker : IAsyncLifetime, IAsyncDisposable
{
    public const string Username = "broker-user";
    public const string Password = "broker-secret-password";
    public const string ServiceId = "svc-testdb";
    public const string SmallPlanId = "plan-small";
    public const string LargePlanId = "plan-large";
    public const string SlowPlanId = "plan-slow";
    public const string FlakyPlanId = "plan-flaky";

    /// <summary>The description of the failed last operation of a provision of the <c>flaky</c> plan.</summary>
    public const string ProvisionFailure = "out of capacity in zone 1";

    /// <summary>What the broker says to a bind whose parameters ask it to fail (<c>{"fail": true}</c>).</summary>
    public const string BindRefusal = "binding refused: the parameters asked for a failure";

    private WebApplication? _app;
    private readonly ConcurrentDictionary<string, ConcurrentQueue<Func<HttpContext, Task>>> _scripts = new();
    private readonly ConcurrentDictionary<string, int> _polls = new();

    /// <summary>
    /// The name of the built-in catalog's offering. Unique by default, because the CLI addresses offerings by name and
    /// many brokers share one control plane in a test run.
    /// </summary>
    public string Offering { get; init; } = "testdb-" + Guid.NewGuid().ToString("N")[..10];

    public string Url { get; private set; } = "";

    /// <summary>Every request the broker received, authorized or not, in order.</summary>
    public ConcurrentQueue<BrokerRequest> Requests { get; } = new();

    /// <summary>The instances the broker holds, by id: their <c>plan_id</c> and <c>parameters</c> (as last provisioned or updated).</summary>
    public ConcurrentDictionary<string, JsonObject> Instances { get; } = new();

    /// <summary>The bindings (app bindings and service keys) the broker holds, by id: the <c>bind_resource</c> and <c>parameters</c> of the bind, and the <c>credentials</c> it gave.</summary>
    public ConcurrentDictionary<string, JsonObject> Bindings { get; } = new();

    /// <summary>How many last_operation polls answer "in progress" before an asynchronous operation finishes (per operation).</summary>
    public int PollsBeforeDone { get; set; } = 1;

    /// <summary>Null = the built-in catalog (<see cref="DefaultCatalog"/> of <see cref="Offering"/>).</summary>
    public JsonObject? Catalog { get; set; }

    /// <summary>Starts a broker, its offering named <paramref name="offering"/> or uniquely.</summary>
    public static async Task<TestBroker> StartAsync(string? offering = null)
    {
        var broker = offering is null ? new TestBroker() : new TestBroker { Offering = offering };
        await broker.InitializeAsync();
        return broker;
    }

    public static JsonObject DefaultCatalog(string offering) => new()
    {
        ["services"] = new JsonArray(new JsonObject
        {
            ["id"] = ServiceId,
            ["name"] = offering,
            ["description"] = "Test databases for Ravioli's tests",
            ["bindable"] = true,
            ["instances_retrievable"] = true,
            ["bindings_retrievable"] = true,
            ["plan_updateable"] = true,
            ["tags"] = new JsonArray("sql", "test"),
            ["metadata"] = new JsonObject { ["displayName"] = "Test DB", ["documentationUrl"] = "https://example.com/testdb" },
            ["plans"] = new JsonArray(
                new JsonObject { ["id"] = SmallPlanId, ["name"] = "small", ["description"] = "A small database, made at once", ["free"] = true },
                new JsonObject
                {
                    ["id"] = LargePlanId,
                    ["name"] = "large",
                    ["description"] = "A large database, made in the background",
                    ["free"] = false,
                    ["metadata"] = new JsonObject { ["costs"] = new JsonArray(new JsonObject { ["amount"] = new JsonObject { ["usd"] = 12.5 }, ["unit"] = "MONTHLY" }) },
                },
                new JsonObject { ["id"] = SlowPlanId, ["name"] = "slow", ["description"] = "A database the broker never finishes making", ["maximum_polling_duration"] = 60 },
                new JsonObject { ["id"] = FlakyPlanId, ["name"] = "flaky", ["description"] = "A database the broker fails to make", ["free"] = true }),
        }),
    };

    /// <summary>The credentials the broker hands out for a binding, so tests can find them in VCAP_SERVICES and service keys.</summary>
    public static JsonObject CredentialsFor(string bindingId) => new()
    {
        ["uri"] = $"testdb://user-{bindingId[..8]}:pw-{bindingId}@127.0.0.1:5555/db",
        ["username"] = $"user-{bindingId[..8]}",
        ["password"] = $"pw-{bindingId}",
    };

    /// <summary>The next call of this kind is answered by <paramref name="handler"/> instead of the broker's logic.</summary>
    public void Script(string kind, Func<HttpContext, Task> handler) => _scripts.GetOrAdd(kind, _ => new()).Enqueue(handler);

    public void Script(string kind, int status, string body = "{}") => Script(kind, async context =>
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body);
    });

    public IEnumerable<BrokerRequest> RequestsTo(string method, string pathPrefix) =>
        Requests.Where(r => r.Method == method && r.Path.StartsWith(pathPrefix, StringComparison.Ordinal));

    public async Task InitializeAsync()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        _app = builder.Build();
        _app.Run(HandleAsync);
        await _app.StartAsync();
        Url = _app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().Replace("[::]", "127.0.0.1", StringComparison.Ordinal);
    }

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
            _app = null;
        }
    }

    async ValueTask IAsyncDisposable.DisposeAsync() => await DisposeAsync();

    private static bool Authorized(HttpContext context)
    {
        var expected = "Basic " + Convert.ToBase64String(Encoding.UTF8.GetBytes($"{Username}:{Password}"));
        return context.Request.Headers.Authorization.ToString() == expected;
    }

    private async Task HandleAsync(HttpContext context)
    {
        var request = context.Request;
        JsonObject? body = null;
        if (request.ContentLength > 0 || request.Headers.TransferEncoding.Count > 0)
        {
            body = JsonNode.Parse(await new StreamReader(request.Body).ReadToEndAsync()) as JsonObject;
        }
        Requests.Enqueue(new BrokerRequest(request.Method, request.Path.Value ?? "",
            request.Query.ToDictionary(q => q.Key, q => q.Value.ToString()),
            request.Headers.ToDictionary(h => h.Key, h => h.Value.ToString(), StringComparer.OrdinalIgnoreCase), body));
        if (!Authorized(context))
        {
            await Reply(context, 401, new JsonObject { ["description"] = "bad credentials" });
            return;
        }
        var segments = (request.Path.Value ?? "").Trim('/').Split('/');
        var kind = (request.Method, segments) switch
        {
            ("GET", ["v2", "catalog"]) => "catalog",
            ("PUT", ["v2", "service_instances", _]) => "provision",
            ("PATCH", ["v2", "service_instances", _]) => "update",
            ("DELETE", ["v2", "service_instances", _]) => "deprovision",
            ("GET", ["v2", "service_instances", _]) => "fetch_instance",
            ("GET", ["v2", "service_instances", _, "last_operation"]) => "last_operation",
            ("PUT", ["v2", "service_instances", _, "service_bindings", _]) => "bind",
            ("DELETE", ["v2", "service_instances", _, "service_bindings", _]) => "unbind",
            ("GET", ["v2", "service_instances", _, "service_bindings", _]) => "fetch_binding",
            ("GET", ["v2", "service_instances", _, "service_bindings", _, "last_operation"]) => "binding_last_operation",
            _ => "unknown",
        };
        if (_scripts.TryGetValue(kind, out var queue) && queue.TryDequeue(out var scripted))
        {
            await scripted(context);
            return;
        }
        var accepts = request.Query["accepts_incomplete"] == "true";
        switch (kind)
        {
            case "catalog":
                await Reply(context, 200, (Catalog ?? DefaultCatalog(Offering)).DeepClone());
                return;
            case "provision":
            {
                var id = segments[2];
                var plan = body?["plan_id"]?.GetValue<string>() ?? "";
                if (Instances.TryGetValue(id, out var existing))
                {
                    await Reply(context, existing["plan_id"]?.GetValue<string>() == plan ? 200 : 409, new JsonObject());
                    return;
                }
                if (plan != SmallPlanId && !accepts)
                {
                    await Reply(context, 422, new JsonObject { ["error"] = "AsyncRequired", ["description"] = "async only" });
                    return;
                }
                Instances[id] = new JsonObject { ["plan_id"] = plan, ["parameters"] = body?["parameters"]?.DeepClone() };
                if (plan != SmallPlanId)
                {
                    await Accepted(context, "provision", id);
                    return;
                }
                await Reply(context, 201, new JsonObject { ["dashboard_url"] = $"https://dashboard.example.com/{id}" });
                return;
            }
            case "update":
            {
                var id = segments[2];
                if (!Instances.TryGetValue(id, out var instance))
                {
                    await Reply(context, 400, new JsonObject { ["description"] = "no such instance" });
                    return;
                }
                if (body?["plan_id"] is { } newPlan)
                {
                    instance["plan_id"] = newPlan.GetValue<string>();
                }
                if (body?["parameters"] is { } parameters)
                {
                    instance["parameters"] = parameters.DeepClone();
                }
                if (instance["plan_id"]?.GetValue<string>() == LargePlanId && accepts)
                {
                    await Accepted(context, "update", id);
                    return;
                }
                await Reply(context, 200, new JsonObject());
                return;
            }
            case "deprovision":
            {
                var id = segments[2];
                if (!Instances.TryRemove(id, out var removed))
                {
                    await Reply(context, 410, new JsonObject());
                    return;
                }
                if (removed["plan_id"]?.GetValue<string>() == LargePlanId && accepts)
                {
                    await Accepted(context, "deprovision", id);
                    return;
                }
                await Reply(context, 200, new JsonObject());
                return;
            }
            case "fetch_instance":
            {
                if (!Instances.TryGetValue(segments[2], out var instance))
                {
                    await Reply(context, 404, new JsonObject());
                    return;
                }
                await Reply(context, 200, new JsonObject
                {
                    ["service_id"] = ServiceId,
                    ["plan_id"] = instance["plan_id"]?.DeepClone(),
                    ["parameters"] = instance["parameters"]?.DeepClone() ?? new JsonObject(),
                });
                return;
            }
            case "last_operation":
            case "binding_last_operation":
            {
                // Operations are named "<what>-<id>" (see Accepted); a finished deprovision is answered 410 Gone, as OSB allows.
                var operation = request.Query["operation"].ToString();
                var what = operation.Split('-', 2)[0];
                if (what == "deprovision" && _polls.GetValueOrDefault(operation) >= PollsBeforeDone)
                {
                    await Reply(context, 410, new JsonObject());
                    return;
                }
                var polls = _polls.AddOrUpdate(operation, 1, (_, n) => n + 1);
                var plan = kind == "last_operation" && Instances.TryGetValue(segments[2], out var i) ? i["plan_id"]?.GetValue<string>() : null;
                context.Response.Headers.RetryAfter = "1";
                if (plan == SlowPlanId || polls <= PollsBeforeDone)
                {
                    await Reply(context, 200, new JsonObject { ["state"] = "in progress", ["description"] = $"{what}: step {polls}" });
                    return;
                }
                if (plan == FlakyPlanId && what == "provision")
                {
                    await Reply(context, 200, new JsonObject { ["state"] = "failed", ["description"] = ProvisionFailure });
                    return;
                }
                await Reply(context, 200, new JsonObject { ["state"] = "succeeded", ["description"] = $"{what} done" });
                return;
            }
            case "bind":
            {
                var id = segments[4];
                if (!Instances.TryGetValue(segments[2], out var instance))
                {
                    await Reply(context, 400, new JsonObject { ["description"] = "no such instance" });
                    return;
                }
                if (body?["parameters"]?["fail"] is JsonValue fail && fail.TryGetValue<bool>(out var failing) && failing)
                {
                    await Reply(context, 400, new JsonObject { ["description"] = BindRefusal });
                    return;
                }
                var credentials = CredentialsFor(id);
                Bindings[id] = new JsonObject
                {
                    ["credentials"] = credentials,
                    ["bind_resource"] = body?["bind_resource"]?.DeepClone(),
                    ["parameters"] = body?["parameters"]?.DeepClone(),
                };
                if (instance["plan_id"]?.GetValue<string>() == LargePlanId && accepts)
                {
                    await Accepted(context, "bind", id);
                    return;
                }
                await Reply(context, 201, new JsonObject { ["credentials"] = credentials.DeepClone() });
                return;
            }
            case "fetch_binding":
            {
                if (!Bindings.TryGetValue(segments[4], out var binding))
                {
                    await Reply(context, 404, new JsonObject());
                    return;
                }
                await Reply(context, 200, new JsonObject { ["credentials"] = binding["credentials"]!.DeepClone() });
                return;
            }
            case "unbind":
                await Reply(context, Bindings.TryRemove(segments[4], out _) ? 200 : 410, new JsonObject());
                return;
            default:
                await Reply(context, 404, new JsonObject { ["description"] = "unknown endpoint" });
                return;
        }
    }

    /// <summary>Answers 202 with operation "<paramref name="what"/>-<paramref name="id"/>", its polls counted afresh (an instance may be updated twice).</summary>
    private async Task Accepted(HttpContext context, string what, string id)
    {
        var operation = $"{what}-{id}";
        _polls.TryRemove(operation, out _);
        await Reply(context, 202, new JsonObject { ["operation"] = operation });
    }

    private static async Task Reply(HttpContext context, int status, JsonNode body)
    {
        context.Response.StatusCode = status;
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(body.ToJsonString());
    }

    /// <summary>A broker that never answers within the client's timeout.</summary>
    public static Func<HttpContext, Task> Hang(TimeSpan time) => async context =>
    {
        await Task.Delay(time, context.RequestAborted).ContinueWith(_ => { }, TaskScheduler.Default);
        context.Response.StatusCode = (int)HttpStatusCode.OK;
    };
}
