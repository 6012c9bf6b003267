using System.Text.Json.Nodes;
using Ravioli.Services.Osb;
using Ravioli.Services.Tests.Infrastructure;
using Xunit;

namespace Ravioli.Services.Tests.Vcap;

/// <summary>VCAP_SERVICES as Cloud Foundry writes it, checked against CF's documented example and read back by npm cfenv.</summary>
public sealed class VcapServicesTests
{
    // Cloud Foundry's documented example ("Cloud Foundry environment variables", VCAP_SERVICES), with the "provider" key
    // Cloud Controller also writes, keys in the alphabetical order Cloud Controller's presenter produces.
    private const string CloudFoundryExample = """
        {
          "elephantsql": [
            {
              "binding_guid": "44ceb72f-100b-4f50-87a2-7809c8b42b8d",
              "binding_name": "elephantsql-binding-c6c60",
              "credentials": {
                "uri": "postgres://exampleuser:examplepass@babar.elephantsql.com:5432/exampleuser"
              },
              "instance_guid": "391308e8-8586-4c42-b464-c7831aa2ad22",
              "instance_name": "elephantsql-c6c60",
              "label": "elephantsql",
              "name": "elephantsql-binding-c6c60",
              "plan": "turtle",
              "provider": null,
              "syslog_drain_url": null,
              "tags": [
                "postgres",
                "postgresql",
                "relational"
              ],
              "volume_mounts": []
            }
          ],
          "sendgrid": [
            {
              "binding_guid": "6533b1b6-7916-488d-b286-ca33d3fa0081",
              "binding_name": null,
              "credentials": {
                "hostname": "smtp.sendgrid.net",
                "username": "QvsXMbJ3rK",
                "password": "HCHMOYluTv"
              },
              "instance_guid": "8c907d0f-ec0f-44e4-87cf-e23c9ba3925d",
              "instance_name": "mysendgrid",
              "label": "sendgrid",
              "name": "mysendgrid",
              "plan": "free",
              "provider": null,
              "syslog_drain_url": null,
              "tags": [
                "smtp"
              ],
              "volume_mounts": []
            }
          ]
        }
        """;

    private static readonly VcapServiceEntry s_elephant = new(
        "elephantsql", "elephantsql-binding-c6c60", "391308e8-8586-4c42-b464-c7831aa2ad22", "elephantsql-c6c60",
        "44ceb72f-100b-4f50-87a2-7809c8b42b8d", "elephantsql-binding-c6c60", "turtle", null, ["postgres", "postgresql", "relational"],
        new JsonObject { ["uri"] = "postgres://exampleuser:examplepass@babar.elephantsql.com:5432/exampleuser" }, null, null);

    private static readonly VcapServiceEntry s_sendgrid = new(
        "sendgrid", "mysendgrid", "8c907d0f-ec0f-44e4-87cf-e23c9ba3925d", "mysendgrid",
        "6533b1b6-7916-488d-b286-ca33d3fa0081", null, "free", null, ["smtp"],
        new JsonObject { ["hostname"] = "smtp.sendgrid.net", ["username"] = "QvsXMbJ3rK", ["password"] = "HCHMOYluTv" }, null, null);

    [Fact]
    public void Build_reproduces_cloud_foundrys_documented_example_exactly()
    {
        var json = VcapServices.Build([s_sendgrid, s_elephant]);

        Assert.Equal(JsonNode.Parse(CloudFoundryExample)!.ToJsonString(), json);
    }

    [Fact]
    public void Every_entry_has_all_twelve_keys_in_order()
    {
        var json = JsonNode.Parse(VcapServices.Build([s_elephant]))!;

        var keys = json["elephantsql"]![0]!.AsObject().Select(p => p.Key);

        Assert.Equal(
            ["binding_guid", "binding_name", "credentials", "instance_guid", "instance_name", "label", "name", "plan", "provider", "syslog_drain_url", "tags", "volume_mounts"],
            keys);
    }

    [Fact]
    public void Labels_and_entries_are_ordered_the_same_whatever_the_input_order()
    {
        var a = s_elephant with { Name = "b-db", BindingGuid = "2" };
        var b = s_elephant with { Name = "a-db", BindingGuid = "3" };
        var c = s_elephant with { Name = "a-db", BindingGuid = "1" };
        var ups = s_sendgrid with { Label = VcapServiceEntry.UserProvidedLabel, Plan = null, Name = "my-ups" };

        var once = VcapServices.Build([a, b, ups, c, s_sendgrid]);
        var again = VcapServices.Build([s_sendgrid, c, b, ups, a]);

        Assert.Equal(once, again);
        var root = JsonNode.Parse(once)!.AsObject();
        Assert.Equal(["elephantsql", "sendgrid", "user-provided"], root.Select(p => p.Key));
        Assert.Equal(["1", "3", "2"], root["elephantsql"]!.AsArray().Select(e => (string?)e!["binding_guid"]));
        Assert.Null(root["user-provided"]![0]!["plan"]);
    }

    [Fact]
    public void Drains_volume_mounts_and_provider_are_carried_when_present()
    {
        var mounts = new JsonArray(new JsonObject { ["container_dir"] = "/data", ["mode"] = "rw" });
        var entry = s_elephant with { SyslogDrainUrl = "syslog://logs:514", VolumeMounts = mounts, Provider = "core" };

        var json = JsonNode.Parse(VcapServices.Build([entry]))!["elephantsql"]![0]!;

        Assert.Equal("syslog://logs:514", (string?)json["syslog_drain_url"]);
        Assert.Equal("core", (string?)json["provider"]);
        Assert.Equal("/data", (string?)json["volume_mounts"]![0]!["container_dir"]);
        Assert.Null(mounts.Parent);
    }

    [Fact]
    public void An_empty_name_falls_back_to_the_binding_name_then_the_instance_name()
    {
        var withBindingName = s_elephant with { Name = "" };
        var withoutBindingName = s_sendgrid with { Name = "" };

        var root = JsonNode.Parse(VcapServices.Build([withBindingName, withoutBindingName]))!;

        Assert.Equal("elephantsql-binding-c6c60", (string?)root["elephantsql"]![0]!["name"]);
        Assert.Equal("mysendgrid", (string?)root["sendgrid"]![0]!["name"]);
        Assert.Equal("b", VcapServiceEntry.NameFor("b", "i"));
        Assert.Equal("i", VcapServiceEntry.NameFor(null, "i"));
    }

    [Fact]
    public void Text_is_not_html_escaped()
    {
        var entry = s_elephant with { Credentials = new JsonObject { ["uri"] = "amqp://u:p+q@h/v?a=1&b=<2>", ["note"] = "비밀번호" } };

        var json = VcapServices.Build([entry]);

        Assert.Contains("amqp://u:p+q@h/v?a=1&b=<2>", json, StringComparison.Ordinal);
        Assert.Contains("비밀번호", json, StringComparison.Ordinal);
    }

    [Fact]
    public void No_bindings_is_an_empty_object()
    {
        Assert.Equal("{}", VcapServices.Build([]));
    }

    [Fact]
    public void Entries_print_without_credentials()
    {
        Assert.DoesNotContain("examplepass", s_elephant.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Npm_cfenv_reads_our_output()
    {
        await NodePackages.EnsureInstalledAsync();
        var ups = new VcapServiceEntry(
            VcapServiceEntry.UserProvidedLabel, "my-ups", "d0e2b7a1-0000-4000-8000-000000000001", "my-ups",
            "d0e2b7a1-0000-4000-8000-000000000002", null, null, null, [], new JsonObject { ["token"] = "t+1&2" }, "syslog://d:1", null);
        var vcap = VcapServices.Build([s_elephant, s_sendgrid, ups]);
        const string Script = """
            const cfenv = require('cfenv');
            const env = cfenv.getAppEnv();
            console.log(JSON.stringify({
              byName: env.getServiceCreds('mysendgrid'),
              byRegex: env.getServiceCreds(/^elephantsql-binding/),
              service: env.getService('my-ups'),
              names: Object.keys(env.getServices()).sort(),
              missing: env.getServiceCreds('nope'),
            }));
            """;

        var (exitCode, output) = await NodePackages.RunAsync(
            "node", ["-e", Script], new Dictionary<string, string> { ["VCAP_SERVICES"] = vcap }, TimeSpan.FromSeconds(60));

        Assert.True(exitCode == 0, output);
        var result = JsonNode.Parse(output.Trim().Split('\n')[^1])!;
        Assert.True(JsonNode.DeepEquals(s_sendgrid.Credentials, result["byName"]), output);
        Assert.True(JsonNode.DeepEquals(s_elephant.Credentials, result["byRegex"]), output);
        Assert.Equal("t+1&2", (string?)result["service"]!["credentials"]!["token"]);
        Assert.Equal("user-provided", (string?)result["service"]!["label"]);
        Assert.Equal("syslog://d:1", (string?)result["service"]!["syslog_drain_url"]);
        Assert.Equal(["elephantsql-binding-c6c60", "my-ups", "mysendgrid"], result["names"]!.AsArray().Select(n => (string?)n));
        Assert.Null(result["missing"]);
    }
}
