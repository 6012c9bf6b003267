using System.Text.Json;
using System.Text.Json.Nodes;

namespace Ravioli.Services.Osb;

/// <summary>
/// The platform's Open Service Broker API 2.17 client. Every call sends X-Broker-API-Version, basic auth and a fresh
/// X-Broker-API-Request-Identity; calls a user caused also send X-Broker-API-Originating-Identity. Provision, update,
/// deprovision, bind and unbind always send accepts_incomplete=true. Whatever the broker does — wrong status, malformed or
/// huge body, no answer — comes back as an <see cref="OsbResult{T}"/> read by the spec's response tables; only the caller's
/// own cancellation throws.
/// </summary>
public sealed class OsbClient
{
    private static readonly KeyValuePair<string, string> s_acceptsIncomplete = new("accepts_incomplete", "true");

    private readonly OsbTransport _transport;

    /// <param name="http">A plain HttpClient without a base address; <see cref="CreateHttpClient"/> makes a suitable one.</param>
    public OsbClient(HttpClient http, OsbClientOptions options)
        : this(http, options, TimeProvider.System)
    {
    }

    public OsbClient(HttpClient http, OsbClientOptions options, TimeProvider timeProvider)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(timeProvider);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.RequestTimeout, TimeSpan.Zero, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(options.MaxResponseBytes, 0, nameof(options));
        _transport = new OsbTransport(http, options, timeProvider);
    }

    /// <summary>
    /// An HttpClient fit for brokers: no redirects (a broker answers OSB requests itself, and a redirect would drop the
    /// Authorization header), no cookies, no client-wide timeout (each request gets <see cref="OsbClientOptions.RequestTimeout"/>),
    /// and pooled connections renewed every two minutes so DNS changes are seen.
    /// </summary>
    public static HttpClient CreateHttpClient() =>
        new(new SocketsHttpHandler
        {
            AllowAutoRedirect = false,
            UseCookies = false,
            PooledConnectionLifetime = TimeSpan.FromMinutes(2),
        })
        {
            Timeout = Timeout.InfiniteTimeSpan,
        };

    /// <summary>Fetches and validates the catalog.</summary>
    /// <exception cref="OsbBrokerException">The broker is unreachable, too slow, rejects the credentials or answers anything but 200.</exception>
    /// <exception cref="OsbCatalogException">The catalog breaks the spec; every problem is listed with its JSON path.</exception>
    public async Task<OsbCatalog> GetCatalogAsync(BrokerEndpoint broker, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(broker);
        const string Request = "GET /v2/catalog";
        var url = OsbText.Redact(broker.Url);
        var exchange = await _transport.SendAsync(broker, HttpMethod.Get, "/v2/catalog", [], null, null, ct);
        switch (exchange.Failure)
        {
            case OsbTransportFailure.NotSent:
                throw new OsbBrokerException($"could not connect to the broker at {url} ({exchange.FailureDetail}); check the URL and that the broker is running", status: null);
            case OsbTransportFailure.Timeout:
                throw new OsbBrokerException($"the broker at {url} did not answer {Request} within {OsbText.Seconds(_transport.EffectiveTimeout)}", status: null);
            case OsbTransportFailure.ConnectionLost:
                throw new OsbBrokerException($"the connection to the broker at {url} broke before it answered {Request} ({exchange.FailureDetail})", status: null);
            case OsbTransportFailure.InvalidResponse:
                throw new OsbBrokerException($"the broker at {url} did not answer {Request} with valid HTTP ({exchange.FailureDetail})", status: null);
            case OsbTransportFailure.None:
            default:
                break;
        }

        var status = exchange.Status!.Value;
        if (status != 200)
        {
            var (_, description, _, _) = exchange.BodyProblem == OsbBodyProblem.None ? OsbBodies.Error(exchange.Body) : default;
            var suffix = description is null ? "" : ": " + OsbText.Scrub(description, broker.Password);
            var message = status switch
            {
                401 => "the broker rejected the credentials (401); check the broker's username and password",
                403 => $"the broker refused access to its catalog (403){suffix}; check that this user may read it",
                404 => $"the broker answered 404 to {Request}; check that {url} is the broker's base URL (the client appends /v2/catalog)",
                412 => $"the broker does not support OSB API version {OsbTransport.ApiVersion} (412){suffix}",
                >= 300 and < 400 => Redirect(status, exchange.Location),
                _ => $"the broker answered {status} to {Request}{suffix}",
            };
            throw new OsbBrokerException(message, status);
        }

        switch (exchange.BodyProblem)
        {
            case OsbBodyProblem.TooLarge:
                throw new OsbBrokerException($"the broker's catalog is larger than {OsbText.Bytes(_transport.Options.MaxResponseBytes)}, the limit set by OsbClientOptions.MaxResponseBytes", status);
            case OsbBodyProblem.CutOff:
                throw new OsbBrokerException($"the connection broke before the broker finished sending its catalog ({exchange.FailureDetail})", status);
            case OsbBodyProblem.TimedOut:
                throw new OsbBrokerException($"the broker did not finish sending its catalog within {OsbText.Seconds(_transport.EffectiveTimeout)}", status);
            case OsbBodyProblem.None:
            default:
                break;
        }

        JsonNode? document;
        try
        {
            document = JsonNode.Parse(exchange.Body);
        }
        catch (JsonException e)
        {
            throw new OsbCatalogException([$"$: the catalog is not JSON ({e.Message.TrimEnd('.')})"]);
        }
        var result = OsbCatalogReader.Read(document);
        return result.Catalog ?? throw new OsbCatalogException(result.Errors);
    }

    /// <summary>PUT /v2/service_instances/:id. 201/200 → Succeeded, 202 → InProgress (poll with <see cref="OsbResult{T}.Operation"/>).</summary>
    public Task<OsbResult<OsbProvisionResponse>> ProvisionAsync(
        BrokerEndpoint broker, string instanceId, OsbProvisionRequest request, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(call);
        var body = new JsonObject
        {
            ["service_id"] = request.ServiceId,
            ["plan_id"] = request.PlanId,
            ["context"] = Context(call),
            ["organization_guid"] = request.OrganizationGuid,
            ["space_guid"] = request.SpaceGuid,
        };
        AddIfPresent(body, "parameters", request.Parameters);
        AddIfPresent(body, "maintenance_info", request.MaintenanceInfo);
        return CallAsync(
            OsbCall.Provision, broker, HttpMethod.Put, InstancePath(instanceId), [s_acceptsIncomplete], body, call.UserGuid,
            static (_, obj) => OsbBodies.Provision(obj), static value => value.Operation, null, ct);
    }

    /// <summary>PATCH /v2/service_instances/:id. 200 → Succeeded, 202 → InProgress. A failed update never calls for orphan mitigation.</summary>
    public Task<OsbResult<OsbProvisionResponse>> UpdateAsync(
        BrokerEndpoint broker, string instanceId, OsbUpdateRequest request, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(request.PreviousValues);
        ArgumentNullException.ThrowIfNull(call);
        var previous = new JsonObject
        {
            ["service_id"] = request.PreviousValues.ServiceId,
            ["plan_id"] = request.PreviousValues.PlanId,
            ["organization_id"] = request.PreviousValues.OrganizationGuid,
            ["space_id"] = request.PreviousValues.SpaceGuid,
        };
        AddIfPresent(previous, "maintenance_info", request.PreviousValues.MaintenanceInfo);
        var body = new JsonObject
        {
            ["context"] = Context(call),
            ["service_id"] = request.ServiceId,
        };
        if (request.PlanId is not null)
        {
            body["plan_id"] = request.PlanId;
        }
        AddIfPresent(body, "parameters", request.Parameters);
        body["previous_values"] = previous;
        AddIfPresent(body, "maintenance_info", request.MaintenanceInfo);
        return CallAsync(
            OsbCall.Update, broker, HttpMethod.Patch, InstancePath(instanceId), [s_acceptsIncomplete], body, call.UserGuid,
            static (_, obj) => OsbBodies.Provision(obj), static value => value.Operation, null, ct);
    }

    /// <summary>DELETE /v2/service_instances/:id. 200 → Succeeded, 202 → InProgress, 410 → Gone (also a success).</summary>
    public Task<OsbResult<OsbOperationResponse>> DeprovisionAsync(
        BrokerEndpoint broker, string instanceId, string serviceId, string planId, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync(
            OsbCall.Deprovision, broker, HttpMethod.Delete, InstancePath(instanceId),
            [new("service_id", serviceId), new("plan_id", planId), s_acceptsIncomplete], null, call.UserGuid,
            static (_, obj) => OsbBodies.Operation(obj), static value => value.Operation, null, ct);
    }

    /// <summary>
    /// GET /v2/service_instances/:id/last_operation. 200 → Succeeded with the state (a "failed" state is still a successful
    /// poll); 410 → Gone; anything else → Failed, which the spec says to treat as "keep polling". This overload cannot tell
    /// which operation is polled, so it never sets <see cref="OsbResult{T}.OrphanMitigation"/> and reads every 410 as Gone;
    /// the overload taking <see cref="OsbOperationKind"/> applies the spec's per-operation rules.
    /// </summary>
    public Task<OsbResult<OsbLastOperation>> GetInstanceLastOperationAsync(
        BrokerEndpoint broker, string instanceId, string? serviceId, string? planId, string? operation, OsbCallContext call, CancellationToken ct) =>
        GetInstanceLastOperationCoreAsync(broker, instanceId, serviceId, planId, operation, null, call, ct);

    /// <summary>
    /// As the other overload, knowing what is polled: a "failed" state after a provision or deprovision sets
    /// <see cref="OsbResult{T}.OrphanMitigation"/>, and a 410 while polling a provision or update is Failed (the spec calls it
    /// invalid there and says to keep polling).
    /// </summary>
    public Task<OsbResult<OsbLastOperation>> GetInstanceLastOperationAsync(
        BrokerEndpoint broker, string instanceId, string? serviceId, string? planId, string? operation, OsbOperationKind pollingFor,
        OsbCallContext call, CancellationToken ct) =>
        GetInstanceLastOperationCoreAsync(broker, instanceId, serviceId, planId, operation, pollingFor, call, ct);

    /// <summary>PUT /v2/service_instances/:id/service_bindings/:binding_id. 201/200 → Succeeded with credentials, 202 → InProgress.</summary>
    public Task<OsbResult<OsbBindResponse>> BindAsync(
        BrokerEndpoint broker, string instanceId, string bindingId, OsbBindRequest request, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(call);
        var body = new JsonObject
        {
            ["context"] = Context(call),
            ["service_id"] = request.ServiceId,
            ["plan_id"] = request.PlanId,
        };
        if (request.AppGuid is not null)
        {
            // bind_resource.app_guid is the current field; the top-level app_guid is deprecated but older brokers read only it.
            body["app_guid"] = request.AppGuid;
            body["bind_resource"] = new JsonObject { ["app_guid"] = request.AppGuid };
        }
        AddIfPresent(body, "parameters", request.Parameters);
        return CallAsync(
            OsbCall.Bind, broker, HttpMethod.Put, BindingPath(instanceId, bindingId), [s_acceptsIncomplete], body, call.UserGuid,
            static (status, obj) => status == 202 ? OsbBodies.BindAccepted(obj) : OsbBodies.Binding(obj), static value => value.Operation, null, ct);
    }

    /// <summary>GET /v2/service_instances/:id/service_bindings/:binding_id: the binding's credentials after an asynchronous bind.</summary>
    public Task<OsbResult<OsbBindResponse>> FetchBindingAsync(
        BrokerEndpoint broker, string instanceId, string bindingId, string? serviceId, string? planId, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync(
            OsbCall.FetchBinding, broker, HttpMethod.Get, BindingPath(instanceId, bindingId), Hints(serviceId, planId, null), null, call.UserGuid,
            static (_, obj) => OsbBodies.Binding(obj), static _ => null, null, ct);
    }

    /// <summary>GET /v2/service_instances/:id: the instance as the broker sees it (its parameters), for brokers with instances_retrievable.</summary>
    public Task<OsbResult<OsbFetchInstanceResponse>> FetchInstanceAsync(
        BrokerEndpoint broker, string instanceId, string? serviceId, string? planId, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync(
            OsbCall.FetchInstance, broker, HttpMethod.Get, InstancePath(instanceId), Hints(serviceId, planId, null), null, call.UserGuid,
            static (_, obj) => OsbBodies.Instance(obj), static _ => null, null, ct);
    }

    /// <summary>GET …/service_bindings/:binding_id/last_operation; read like <see cref="GetInstanceLastOperationAsync(BrokerEndpoint, string, string?, string?, string?, OsbCallContext, CancellationToken)"/>.</summary>
    public Task<OsbResult<OsbLastOperation>> GetBindingLastOperationAsync(
        BrokerEndpoint broker, string instanceId, string bindingId, string? serviceId, string? planId, string? operation, OsbCallContext call, CancellationToken ct) =>
        GetBindingLastOperationCoreAsync(broker, instanceId, bindingId, serviceId, planId, operation, null, call, ct);

    /// <summary>As the other overload, applying the spec's per-operation rules for a bind or unbind.</summary>
    public Task<OsbResult<OsbLastOperation>> GetBindingLastOperationAsync(
        BrokerEndpoint broker, string instanceId, string bindingId, string? serviceId, string? planId, string? operation,
        OsbOperationKind pollingFor, OsbCallContext call, CancellationToken ct) =>
        GetBindingLastOperationCoreAsync(broker, instanceId, bindingId, serviceId, planId, operation, pollingFor, call, ct);

    /// <summary>DELETE /v2/service_instances/:id/service_bindings/:binding_id. 200 → Succeeded, 202 → InProgress, 410 → Gone.</summary>
    public Task<OsbResult<OsbOperationResponse>> UnbindAsync(
        BrokerEndpoint broker, string instanceId, string bindingId, string serviceId, string planId, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync(
            OsbCall.Unbind, broker, HttpMethod.Delete, BindingPath(instanceId, bindingId),
            [new("service_id", serviceId), new("plan_id", planId), s_acceptsIncomplete], null, call.UserGuid,
            static (_, obj) => OsbBodies.Operation(obj), static value => value.Operation, null, ct);
    }

    private Task<OsbResult<OsbLastOperation>> GetInstanceLastOperationCoreAsync(
        BrokerEndpoint broker, string instanceId, string? serviceId, string? planId, string? operation, OsbOperationKind? pollingFor,
        OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync(
            OsbCall.InstanceLastOperation, broker, HttpMethod.Get, InstancePath(instanceId) + "/last_operation",
            Hints(serviceId, planId, operation), null, call.UserGuid,
            static (_, obj) => OsbBodies.LastOperation(obj), static _ => null, pollingFor, ct);
    }

    private Task<OsbResult<OsbLastOperation>> GetBindingLastOperationCoreAsync(
        BrokerEndpoint broker, string instanceId, string bindingId, string? serviceId, string? planId, string? operation,
        OsbOperationKind? pollingFor, OsbCallContext call, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(call);
        return CallAsync(
            OsbCall.BindingLastOperation, broker, HttpMethod.Get, BindingPath(instanceId, bindingId) + "/last_operation",
            Hints(serviceId, planId, operation), null, call.UserGuid,
            static (_, obj) => OsbBodies.LastOperation(obj), static _ => null, pollingFor, ct);
    }

    private async Task<OsbResult<T>> CallAsync<T>(
        OsbCall call,
        BrokerEndpoint broker,
        HttpMethod method,
        string path,
        IReadOnlyList<KeyValuePair<string, string>> query,
        JsonObject? body,
        string? userGuid,
        Func<int, JsonObject, OsbBodies.Parsed<T>> parse,
        Func<T, string?> operationOf,
        OsbOperationKind? pollingFor,
        CancellationToken ct)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(broker);
        var exchange = await _transport.SendAsync(broker, method, path, query, body, userGuid, ct);
        return Interpret(call, broker, exchange, parse, operationOf, pollingFor);
    }

    private OsbResult<T> Interpret<T>(
        OsbCall call,
        BrokerEndpoint broker,
        OsbExchange exchange,
        Func<int, JsonObject, OsbBodies.Parsed<T>> parse,
        Func<T, string?> operationOf,
        OsbOperationKind? pollingFor)
        where T : class
    {
        OsbResult<T> Failed(string description, bool orphanMitigation, string? code = null, bool? instanceUsable = null, bool? updateRepeatable = null) =>
            new(OsbOutcome.Failed, null, exchange.Status, null, new OsbError(code, description, instanceUsable, updateRepeatable), orphanMitigation, exchange.RetryAfter)
            {
                RequestIdentity = exchange.RequestIdentity,
            };

        switch (exchange.Failure)
        {
            case OsbTransportFailure.NotSent:
                return Failed($"could not connect to the broker at {OsbText.Redact(broker.Url)} ({exchange.FailureDetail})", false);
            case OsbTransportFailure.Timeout:
                return Failed($"the broker did not answer within {OsbText.Seconds(_transport.EffectiveTimeout)}", OsbOrphanMitigation.AfterTimeout(call));
            case OsbTransportFailure.ConnectionLost:
                return Failed($"the connection to the broker broke before it answered ({exchange.FailureDetail})", OsbOrphanMitigation.AfterTimeout(call));
            case OsbTransportFailure.InvalidResponse:
                return Failed($"the broker did not answer with valid HTTP ({exchange.FailureDetail})", OsbOrphanMitigation.AfterTimeout(call));
            case OsbTransportFailure.None:
            default:
                break;
        }

        var status = exchange.Status!.Value;
        if (IsSuccessStatus(call, status))
        {
            var problem = BodyProblem(exchange);
            OsbBodies.Parsed<T> parsed = default;
            if (problem is null)
            {
                var document = OsbBodies.Object(exchange.Body);
                parsed = document.Value is { } obj ? parse(status, obj) : OsbBodies.Parsed<T>.Bad(document.Problem!);
                problem = parsed.Problem;
            }
            if (problem is not null)
            {
                return Failed($"the broker answered {status} with {problem}", OsbOrphanMitigation.AfterMalformedSuccess(call, status));
            }
            var value = parsed.Value!;
            var orphanMitigation = value is OsbLastOperation { State: OsbLastOperation.FailedState }
                && pollingFor is { } kind && OsbOrphanMitigation.AfterFailedState(kind);
            return new OsbResult<T>(
                status == 202 ? OsbOutcome.InProgress : OsbOutcome.Succeeded,
                value,
                status,
                status == 202 ? operationOf(value) : null,
                null,
                orphanMitigation,
                exchange.RetryAfter)
            {
                RequestIdentity = exchange.RequestIdentity,
            };
        }

        if (status == 410 && IsGoneSuccess(call, pollingFor))
        {
            return new OsbResult<T>(OsbOutcome.Gone, null, status, null, null, false, exchange.RetryAfter)
            {
                RequestIdentity = exchange.RequestIdentity,
            };
        }

        var (code, brokerDescription, instanceUsable, updateRepeatable) =
            exchange.BodyProblem == OsbBodyProblem.None ? OsbBodies.Error(exchange.Body) : default;
        var description = ErrorDescription(call, exchange, status, code, brokerDescription, broker, pollingFor);
        var mitigate = status switch
        {
            >= 200 and < 300 => OsbOrphanMitigation.AfterUnexpectedSuccessStatus(call),
            >= 500 and < 600 => OsbOrphanMitigation.AfterServerError(call),
            _ => false,
        };
        return Failed(description, mitigate, code, instanceUsable, updateRepeatable);
    }

    private static bool IsSuccessStatus(OsbCall call, int status) => call switch
    {
        OsbCall.Provision or OsbCall.Bind => status is 200 or 201 or 202,
        OsbCall.Update or OsbCall.Deprovision or OsbCall.Unbind => status is 200 or 202,
        _ => status == 200,
    };

    private static bool IsGoneSuccess(OsbCall call, OsbOperationKind? pollingFor) => call switch
    {
        OsbCall.Deprovision or OsbCall.Unbind => true,
        OsbCall.InstanceLastOperation or OsbCall.BindingLastOperation =>
            pollingFor is null or OsbOperationKind.Deprovision or OsbOperationKind.Unbind,
        _ => false,
    };

    private string? BodyProblem(OsbExchange exchange) => exchange.BodyProblem switch
    {
        OsbBodyProblem.TooLarge => $"a body larger than {OsbText.Bytes(_transport.Options.MaxResponseBytes)} (OsbClientOptions.MaxResponseBytes)",
        OsbBodyProblem.CutOff => $"a body cut off before its end ({exchange.FailureDetail})",
        OsbBodyProblem.TimedOut => $"a body it did not finish sending within {OsbText.Seconds(_transport.EffectiveTimeout)}",
        _ => null,
    };

    private string ErrorDescription(
        OsbCall call, OsbExchange exchange, int status, string? code, string? brokerDescription, BrokerEndpoint broker, OsbOperationKind? pollingFor)
    {
        if (status == 401)
        {
            return "the broker rejected the credentials (401); check the broker's username and password";
        }
        if (status >= 300 && status < 400)
        {
            return Redirect(status, exchange.Location);
        }
        if (status >= 200 && status < 300)
        {
            return $"the broker answered {status}, which OSB does not allow as an answer to {Describe(call)}";
        }
        if (status == 410 && call is OsbCall.InstanceLastOperation or OsbCall.BindingLastOperation)
        {
            // Only reached while polling a create or update, where the broker's own words ("gone") would mislead.
            var polled = pollingFor is { } kind ? "a " + kind.ToString().ToLowerInvariant() : "an operation";
            return $"the broker answered 410 Gone while polling {polled}; the spec calls that invalid unless deleting, so keep polling";
        }
        if (brokerDescription is not null)
        {
            return OsbText.Scrub(brokerDescription, broker.Password);
        }
        if (BodyProblem(exchange) is { } problem)
        {
            return $"the broker answered {status} with {problem}";
        }
        return status switch
        {
            400 => "the broker rejected the request as malformed (400)",
            403 => "the broker refused the request (403)",
            404 when call == OsbCall.InstanceLastOperation => "the broker does not know this service instance (404)",
            404 when call == OsbCall.FetchInstance => "the broker does not know this service instance, or is still creating it (404)",
            404 when call is OsbCall.BindingLastOperation or OsbCall.FetchBinding => "the broker does not know this service binding, or is still creating it (404)",
            404 => $"the broker answered 404 to {exchange.Method} {exchange.Path}; check the broker URL",
            408 => "the broker timed out waiting for the request (408)",
            409 when call == OsbCall.Provision => "the broker already has a service instance with this id but different attributes (409)",
            409 when call == OsbCall.Bind => "the broker already has a service binding with this id but different attributes (409)",
            412 => $"the broker does not support OSB API version {OsbTransport.ApiVersion} (412)",
            422 when code is not null => $"the broker cannot process the request ({code}, 422)",
            422 => "the broker cannot process the request (422)",
            >= 500 and < 600 => $"the broker failed with {status}",
            _ => $"the broker answered {status}",
        };
    }

    private static string Describe(OsbCall call) => call switch
    {
        OsbCall.Provision => "a provision",
        OsbCall.Update => "an update",
        OsbCall.Deprovision => "a deprovision",
        OsbCall.Bind => "a bind",
        OsbCall.Unbind => "an unbind",
        OsbCall.FetchBinding => "a binding fetch",
        OsbCall.FetchInstance => "an instance fetch",
        _ => "a last_operation poll",
    };

    private static string Redirect(int status, Uri? location) =>
        $"the broker answered {status}, a redirect{(location is null ? "" : " to " + OsbText.Redact(location))}; brokers answer OSB requests themselves, so check the broker URL";

    private static JsonObject Context(OsbCallContext call)
    {
        JsonNode? context;
        try
        {
            context = JsonNode.Parse(call.PlatformContextJson);
        }
        catch (JsonException e)
        {
            throw new ArgumentException("PlatformContextJson is not JSON: " + e.Message, nameof(call), e);
        }
        return context as JsonObject ?? throw new ArgumentException("PlatformContextJson must be a JSON object", nameof(call));
    }

    private static void AddIfPresent(JsonObject body, string name, JsonObject? value)
    {
        if (value is not null)
        {
            // A JsonNode has one parent; the caller keeps its own.
            body[name] = value.DeepClone();
        }
    }

    private static KeyValuePair<string, string>[] Hints(string? serviceId, string? planId, string? operation)
    {
        var query = new List<KeyValuePair<string, string>>(3);
        if (serviceId is not null)
        {
            query.Add(new("service_id", serviceId));
        }
        if (planId is not null)
        {
            query.Add(new("plan_id", planId));
        }
        if (operation is not null)
        {
            query.Add(new("operation", operation));
        }
        return [.. query];
    }

    private static string InstancePath(string instanceId)
    {
        ArgumentException.ThrowIfNullOrEmpty(instanceId);
        return "/v2/service_instances/" + Uri.EscapeDataString(instanceId);
    }

    private static string BindingPath(string instanceId, string bindingId)
    {
        ArgumentException.ThrowIfNullOrEmpty(bindingId);
        return InstancePath(instanceId) + "/service_bindings/" + Uri.EscapeDataString(bindingId);
    }
}
