using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>GET /v2/catalog over the wire: what reaches the broker, and what each failure tells the operator.</summary>
public sealed class CatalogClientTests : ScriptedBrokerTest
{
    private const string Catalog = """{"services":[{"id":"s","name":"db","description":"d","bindable":true,"plans":[{"id":"p","name":"small","description":"d"}]}]}""";

    private Task<OsbCatalog> GetAsync() => Client.GetCatalogAsync(Broker.Endpoint, CancellationToken.None);

    [Fact]
    public async Task A_valid_catalog_is_returned_and_the_request_carries_version_auth_and_identity_but_no_user()
    {
        Broker.Respond(200, Catalog);

        var catalog = await GetAsync();

        Assert.Equal("db", catalog.Services.Single().Name);
        var request = Broker.LastRequest;
        Assert.Equal("GET", request.Method);
        Assert.Equal("/brokers/test/v2/catalog", request.Path);
        Assert.Equal("2.17", request.Header("X-Broker-API-Version"));
        Assert.StartsWith("Basic ", request.Header("Authorization"), StringComparison.Ordinal);
        Assert.True(Guid.TryParse(request.Header("X-Broker-API-Request-Identity"), out _));
        Assert.Null(request.Header("X-Broker-API-Originating-Identity"));
    }

    [Fact]
    public async Task An_invalid_catalog_throws_with_every_problem()
    {
        Broker.Respond(200, """{"services":[{"id":"s","name":"db","bindable":"yes","plans":[]}]}""");

        var e = await Assert.ThrowsAsync<OsbCatalogException>(GetAsync);

        Assert.Equal(
            [
                "$.services[0].description: required",
                "$.services[0].bindable: must be a boolean, not a string",
                "$.services[0].plans: must contain at least one Service Plan",
            ],
            e.Errors);
        Assert.StartsWith("the broker's catalog is invalid (3 problems): $.services[0].description: required; ", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_catalog_that_is_not_json_is_invalid()
    {
        Broker.Respond(200, "<html>login</html>");

        var e = await Assert.ThrowsAsync<OsbCatalogException>(GetAsync);

        Assert.StartsWith("$: the catalog is not JSON (", Assert.Single(e.Errors), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Rejected_credentials_say_to_check_them()
    {
        Broker.Respond(401, """{"description":"Unauthorized"}""");

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal("the broker rejected the credentials (401); check the broker's username and password", e.Message);
        Assert.Equal(401, e.Status);
    }

    [Fact]
    public async Task Not_found_says_to_check_the_base_url()
    {
        Broker.Respond(404);

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal($"the broker answered 404 to GET /v2/catalog; check that {Broker.Endpoint.Url} is the broker's base URL (the client appends /v2/catalog)", e.Message);
        Assert.Equal(404, e.Status);
    }

    [Fact]
    public async Task An_unsupported_api_version_is_named()
    {
        Broker.Respond(412, """{"description":"Supported Broker API versions: ^2.4"}""");

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal("the broker does not support OSB API version 2.17 (412): Supported Broker API versions: ^2.4", e.Message);
    }

    [Fact]
    public async Task A_server_error_carries_the_brokers_description()
    {
        Broker.Respond(500, """{"description":"catalog store down"}""");

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal("the broker answered 500 to GET /v2/catalog: catalog store down", e.Message);
        Assert.Equal(500, e.Status);
    }

    [Fact]
    public async Task A_redirect_says_to_check_the_url()
    {
        Broker.Respond(301, null, ("Location", "https://elsewhere.example/v2/catalog"));

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal("the broker answered 301, a redirect to https://elsewhere.example/v2/catalog; brokers answer OSB requests themselves, so check the broker URL", e.Message);
    }

    [Fact]
    public async Task An_unreachable_broker_says_to_check_url_and_broker()
    {
        var endpoint = Misbehaviour.RefusingEndpoint();

        var e = await Assert.ThrowsAsync<OsbBrokerException>(() => Client.GetCatalogAsync(endpoint, CancellationToken.None));

        Assert.Equal($"could not connect to the broker at {endpoint.Url} (connection refused); check the URL and that the broker is running", e.Message);
        Assert.Null(e.Status);
    }

    [Fact]
    public async Task A_slow_broker_times_out()
    {
        Options.RequestTimeout = TimeSpan.FromMilliseconds(300);
        Broker.Script(Misbehaviour.Hang);

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal($"the broker at {Broker.Endpoint.Url} did not answer GET /v2/catalog within 0.3 s", e.Message);
    }

    [Fact]
    public async Task A_catalog_over_the_limit_is_refused()
    {
        Options.MaxResponseBytes = 1000;
        Broker.Script(Misbehaviour.HugeBody(200, 5000, declareLength: false));

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal("the broker's catalog is larger than 1000 bytes, the limit set by OsbClientOptions.MaxResponseBytes", e.Message);
    }

    [Fact]
    public async Task A_truncated_catalog_is_reported()
    {
        await using var raw = new RawBroker("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"services\":[");

        var e = await Assert.ThrowsAsync<OsbBrokerException>(() => Client.GetCatalogAsync(raw.Endpoint, CancellationToken.None));

        Assert.StartsWith("the connection broke before the broker finished sending its catalog (", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_dropped_connection_is_reported()
    {
        Broker.Script(Misbehaviour.DropConnection);

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.StartsWith($"the connection to the broker at {Broker.Endpoint.Url} broke before it answered GET /v2/catalog (", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_password_the_broker_echoes_is_scrubbed()
    {
        Broker.Respond(500, $$"""{"description":"bad login for {{ScriptedBroker.Password}}"}""");

        var e = await Assert.ThrowsAsync<OsbBrokerException>(GetAsync);

        Assert.Equal("the broker answered 500 to GET /v2/catalog: bad login for (redacted)", e.Message);
    }
}
