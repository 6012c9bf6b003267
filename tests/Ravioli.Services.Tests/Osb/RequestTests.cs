using System.Text;
using System.Text.Json.Nodes;
using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>What the broker receives: headers on every call, and the bodies of provision, update and bind.</summary>
public sealed class RequestTests : ScriptedBrokerTest
{
    private static void AssertCommonHeaders(ReceivedRequest request)
    {
        Assert.Equal("2.17", request.Header("X-Broker-API-Version"));
        var expected = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{ScriptedBroker.Username}:{ScriptedBroker.Password}"));
        Assert.Equal("Basic " + expected, request.Header("Authorization"));
        Assert.True(Guid.TryParse(request.Header("X-Broker-API-Request-Identity"), out _));
    }

    private static JsonObject DecodeOriginatingIdentity(ReceivedRequest request)
    {
        var header = request.Header("X-Broker-API-Originating-Identity")!;
        var parts = header.Split(' ');
        Assert.Equal(2, parts.Length);
        Assert.Equal("cloudfoundry", parts[0]);
        return JsonNode.Parse(Convert.FromBase64String(parts[1]))!.AsObject();
    }

    [Fact]
    public async Task Provision_sends_the_headers_query_and_body_the_spec_asks_for()
    {
        Broker.Respond(201, "{}");
        var request = new OsbProvisionRequest(
            ServiceId, PlanId, "org-1", "space-1",
            new JsonObject { ["size"] = "small", ["nested"] = new JsonObject { ["a"] = 1 } },
            new JsonObject { ["version"] = "2.1.1+abcdef" });

        var result = await Client.ProvisionAsync(Broker.Endpoint, "inst-1", request, Call, CancellationToken.None);

        var received = Broker.LastRequest;
        Assert.Equal("PUT", received.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1", received.Path);
        Assert.Equal("true", received.Query["accepts_incomplete"]);
        AssertCommonHeaders(received);
        Assert.Equal(result.RequestIdentity, received.Header("X-Broker-API-Request-Identity"));
        Assert.StartsWith("application/json", received.Header("Content-Type"), StringComparison.Ordinal);
        Assert.Equal(UserGuid, (string?)DecodeOriginatingIdentity(received)["user_id"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""
                {"service_id":"svc-1","plan_id":"plan-1","context":{{{ContextJson}}},"organization_guid":"org-1","space_guid":"space-1",
                 "parameters":{"size":"small","nested":{"a":1}},"maintenance_info":{"version":"2.1.1+abcdef"}}
                """),
            received.Json), received.Body);
    }

    [Fact]
    public async Task Provision_leaves_out_parameters_and_maintenance_info_it_does_not_have()
    {
        Broker.Respond(201, "{}");

        await Client.ProvisionAsync(Broker.Endpoint, "inst-1", ProvisionRequest with { Parameters = null }, Call, CancellationToken.None);

        var body = Broker.LastRequest.Json;
        Assert.False(body.ContainsKey("parameters"));
        Assert.False(body.ContainsKey("maintenance_info"));
    }

    [Fact]
    public async Task Every_request_gets_its_own_request_identity()
    {
        Broker.Respond(201, "{}");

        var first = await ProvisionAsync();
        var second = await ProvisionAsync();

        Assert.NotEqual(first.RequestIdentity, second.RequestIdentity);
        Assert.Equal(
            [first.RequestIdentity, second.RequestIdentity],
            Broker.Requests.Select(r => r.Header("X-Broker-API-Request-Identity")));
    }

    [Fact]
    public async Task Without_a_user_there_is_no_originating_identity()
    {
        Broker.Respond(200, "{}");

        await Client.DeprovisionAsync(Broker.Endpoint, "inst-1", ServiceId, PlanId, new OsbCallContext(null, ContextJson), CancellationToken.None);

        Assert.Null(Broker.LastRequest.Header("X-Broker-API-Originating-Identity"));
        AssertCommonHeaders(Broker.LastRequest);
    }

    [Fact]
    public async Task Every_call_a_user_caused_carries_the_originating_identity()
    {
        Broker.Script(context => ScriptedBroker.Reply(context, context.Request.Method == "GET" ? 200 : 202,
            context.Request.Method == "GET" ? """{"state":"in progress"}""" : "{}"));

        await ProvisionAsync();
        await UpdateAsync();
        await BindAsync();
        await UnbindAsync();
        await DeprovisionAsync();
        await Client.GetInstanceLastOperationAsync(Broker.Endpoint, "inst-1", null, null, null, Call, CancellationToken.None);
        await Client.GetBindingLastOperationAsync(Broker.Endpoint, "inst-1", "bind-1", null, null, null, Call, CancellationToken.None);
        await Client.FetchBindingAsync(Broker.Endpoint, "inst-1", "bind-1", null, null, Call, CancellationToken.None);

        Assert.Equal(8, Broker.Requests.Count);
        Assert.All(Broker.Requests, request =>
        {
            AssertCommonHeaders(request);
            Assert.Equal(UserGuid, (string?)DecodeOriginatingIdentity(request)["user_id"]);
        });
    }

    [Fact]
    public async Task Update_sends_context_new_plan_parameters_previous_values_and_maintenance_info()
    {
        Broker.Respond(200, "{}");
        var request = new OsbUpdateRequest(
            ServiceId, "plan-2", new JsonObject { ["size"] = "large" },
            new OsbPreviousValues(ServiceId, PlanId, "org-1", "space-1") { MaintenanceInfo = new JsonObject { ["version"] = "1.0.0" } },
            new JsonObject { ["version"] = "1.1.0" });

        await Client.UpdateAsync(Broker.Endpoint, "inst-1", request, Call, CancellationToken.None);

        var received = Broker.LastRequest;
        Assert.Equal("PATCH", received.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1", received.Path);
        Assert.Equal("true", received.Query["accepts_incomplete"]);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""
                {"context":{{{ContextJson}}},"service_id":"svc-1","plan_id":"plan-2","parameters":{"size":"large"},
                 "previous_values":{"service_id":"svc-1","plan_id":"plan-1","organization_id":"org-1","space_id":"space-1","maintenance_info":{"version":"1.0.0"}},
                 "maintenance_info":{"version":"1.1.0"}}
                """),
            received.Json), received.Body);
    }

    [Fact]
    public async Task Update_without_a_plan_change_sends_no_plan_id_so_the_broker_keeps_the_plan()
    {
        Broker.Respond(200, "{}");

        await Client.UpdateAsync(Broker.Endpoint, "inst-1", UpdateRequest with { PlanId = null }, Call, CancellationToken.None);

        var body = Broker.LastRequest.Json;
        Assert.False(body.ContainsKey("plan_id"));
        Assert.False(body.ContainsKey("parameters"));
        Assert.Equal("plan-1", (string?)body["previous_values"]!["plan_id"]);
    }

    [Fact]
    public async Task Bind_for_an_app_sends_bind_resource_and_the_deprecated_app_guid()
    {
        Broker.Respond(201, "{}");
        var request = new OsbBindRequest(ServiceId, PlanId, "app-1", new JsonObject { ["role"] = "reader" });

        await Client.BindAsync(Broker.Endpoint, "inst-1", "bind-1", request, Call, CancellationToken.None);

        var received = Broker.LastRequest;
        Assert.Equal("PUT", received.Method);
        Assert.Equal("/brokers/test/v2/service_instances/inst-1/service_bindings/bind-1", received.Path);
        Assert.Equal("true", received.Query["accepts_incomplete"]);
        AssertCommonHeaders(received);
        Assert.True(JsonNode.DeepEquals(
            JsonNode.Parse($$$"""
                {"context":{{{ContextJson}}},"service_id":"svc-1","plan_id":"plan-1","app_guid":"app-1",
                 "bind_resource":{"app_guid":"app-1"},"parameters":{"role":"reader"}}
                """),
            received.Json), received.Body);
    }

    [Fact]
    public async Task Bind_for_a_service_key_sends_no_app()
    {
        Broker.Respond(201, "{}");

        await Client.BindAsync(Broker.Endpoint, "inst-1", "key-1", BindRequest with { AppGuid = null }, Call, CancellationToken.None);

        var body = Broker.LastRequest.Json;
        Assert.False(body.ContainsKey("app_guid"));
        Assert.False(body.ContainsKey("bind_resource"));
        Assert.True(JsonNode.DeepEquals(JsonNode.Parse(ContextJson), body["context"]));
    }

    [Fact]
    public async Task Ids_outside_the_unreserved_characters_are_percent_encoded()
    {
        Broker.Respond(201, "{}");

        await Client.BindAsync(Broker.Endpoint, "inst 1/x", "bind?1", BindRequest, Call, CancellationToken.None);

        Assert.Equal("/brokers/test/v2/service_instances/inst%201%2Fx/service_bindings/bind%3F1?accepts_incomplete=true", Broker.LastRequest.RawTarget);
    }

    [Fact]
    public async Task A_base_url_with_a_trailing_slash_gets_no_double_slash()
    {
        Broker.Respond(201, "{}");
        var endpoint = Broker.Endpoint with { Url = new Uri(Broker.Endpoint.Url + "/") };

        await Client.ProvisionAsync(endpoint, "inst-1", ProvisionRequest, Call, CancellationToken.None);

        Assert.Equal("/brokers/test/v2/service_instances/inst-1", Broker.LastRequest.Path);
    }

    [Fact]
    public async Task The_callers_parameter_objects_are_not_taken_over()
    {
        Broker.Respond(201, "{}");
        var parameters = new JsonObject { ["size"] = "small" };
        var request = ProvisionRequest with { Parameters = parameters };

        await Client.ProvisionAsync(Broker.Endpoint, "inst-1", request, Call, CancellationToken.None);
        await Client.ProvisionAsync(Broker.Endpoint, "inst-2", request, Call, CancellationToken.None);

        Assert.Null(parameters.Parent);
        Assert.Equal(2, Broker.Requests.Count(r => (string?)r.Json["parameters"]!["size"] == "small"));
    }

    [Fact]
    public async Task A_context_that_is_not_a_json_object_is_the_callers_error()
    {
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Client.ProvisionAsync(Broker.Endpoint, "inst-1", ProvisionRequest, new OsbCallContext(null, "[1]"), CancellationToken.None));
        await Assert.ThrowsAsync<ArgumentException>(() =>
            Client.ProvisionAsync(Broker.Endpoint, "inst-1", ProvisionRequest, new OsbCallContext(null, "{oops"), CancellationToken.None));
        Assert.Empty(Broker.Requests);
    }

    [Fact]
    public void The_originating_identity_matches_the_specs_example()
    {
        var header = OsbTransport.OriginatingIdentity("683ea748-3092-4ff4-b656-39cacc4d5360");

        Assert.Equal("cloudfoundry eyJ1c2VyX2lkIjoiNjgzZWE3NDgtMzA5Mi00ZmY0LWI2NTYtMzljYWNjNGQ1MzYwIn0=", header);
    }

    [Fact]
    public void Endpoints_print_without_their_password()
    {
        var endpoint = new BrokerEndpoint(new Uri("http://user:pw@h:1/b"), "broker-user", "hunter2-password");

        Assert.DoesNotContain("hunter2", endpoint.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("pw@", endpoint.ToString(), StringComparison.Ordinal);
    }
}
