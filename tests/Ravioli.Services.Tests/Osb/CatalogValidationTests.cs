using System.Text.Json.Nodes;
using Ravioli.Services.Osb;
using Xunit;

namespace Ravioli.Services.Tests.Osb;

/// <summary>Every catalog rule of OSB 2.17, each reported with its JSON path.</summary>
public sealed class CatalogValidationTests
{
    private const string Valid = """
        {"services":[
          {"id":"svc-a","name":"db","description":"A database","bindable":true,"tags":["sql"],"plans":[
            {"id":"plan-a1","name":"small","description":"Small"},
            {"id":"plan-a2","name":"large","description":"Large","free":false}]},
          {"id":"svc-b","name":"cache","description":"A cache","bindable":false,"plans":[
            {"id":"plan-b1","name":"small","description":"Small"}]}
        ]}
        """;

    private static JsonObject Service(JsonObject catalog, int i) => catalog["services"]![i]!.AsObject();

    private static JsonObject Plan(JsonObject catalog, int service, int plan) => Service(catalog, service)["plans"]![plan]!.AsObject();

    private static readonly Dictionary<string, (Action<JsonObject> Break, string Error)> s_rules = new()
    {
        ["services missing"] = (c => c.Remove("services"), "$.services: required (an array of Service Offerings, which may be empty)"),
        ["services null"] = (c => c["services"] = null, "$.services: required (an array of Service Offerings, which may be empty)"),
        ["services not an array"] = (c => c["services"] = "db", "$.services: must be an array, not a string"),
        ["service not an object"] = (c => c["services"]!.AsArray().Add(1), "$.services[2]: must be an object, not a number"),
        ["service id missing"] = (c => Service(c, 0).Remove("id"), "$.services[0].id: required"),
        ["service id empty"] = (c => Service(c, 0)["id"] = "", "$.services[0].id: must be a non-empty string"),
        ["service id a number"] = (c => Service(c, 0)["id"] = 7, "$.services[0].id: must be a string, not a number"),
        ["service name missing"] = (c => Service(c, 1).Remove("name"), "$.services[1].name: required"),
        ["service name blank"] = (c => Service(c, 1)["name"] = "  ", "$.services[1].name: must be a non-empty string"),
        ["service description missing"] = (c => Service(c, 0).Remove("description"), "$.services[0].description: required"),
        ["bindable missing"] = (c => Service(c, 0).Remove("bindable"), "$.services[0].bindable: required (true or false)"),
        ["bindable a string"] = (c => Service(c, 0)["bindable"] = "true", "$.services[0].bindable: must be a boolean, not a string"),
        ["plans missing"] = (c => Service(c, 0).Remove("plans"), "$.services[0].plans: required (at least one Service Plan)"),
        ["plans empty"] = (c => Service(c, 0)["plans"] = new JsonArray(), "$.services[0].plans: must contain at least one Service Plan"),
        ["plans an object"] = (c => Service(c, 0)["plans"] = new JsonObject(), "$.services[0].plans: must be an array, not an object"),
        ["plan not an object"] = (c => Service(c, 0)["plans"]!.AsArray().Add("x"), "$.services[0].plans[2]: must be an object, not a string"),
        ["plan id missing"] = (c => Plan(c, 0, 1).Remove("id"), "$.services[0].plans[1].id: required"),
        ["plan name missing"] = (c => Plan(c, 0, 1).Remove("name"), "$.services[0].plans[1].name: required"),
        ["plan description missing"] = (c => Plan(c, 1, 0).Remove("description"), "$.services[1].plans[0].description: required"),
        ["plan description null"] = (c => Plan(c, 1, 0)["description"] = null, "$.services[1].plans[0].description: required"),
        ["duplicate service ids"] = (c => Service(c, 1)["id"] = "svc-a", "$.services[1].id: \"svc-a\" is also the id of $.services[0]; ids MUST be unique across the catalog"),
        ["plan id equal to a service id"] = (c => Plan(c, 1, 0)["id"] = "svc-a", "$.services[1].plans[0].id: \"svc-a\" is also the id of $.services[0]; ids MUST be unique across the catalog"),
        ["plan ids repeated across services"] = (c => Plan(c, 1, 0)["id"] = "plan-a2", "$.services[1].plans[0].id: \"plan-a2\" is also the id of $.services[0].plans[1]; ids MUST be unique across the catalog"),
        ["duplicate service names"] = (c => Service(c, 1)["name"] = "db", "$.services[1].name: \"db\" is also the name of $.services[0]; Service Offering names MUST be unique"),
        ["duplicate plan names in a service"] = (c => Plan(c, 0, 1)["name"] = "small", "$.services[0].plans[1].name: \"small\" is also the name of $.services[0].plans[0]; plan names MUST be unique within a Service Offering"),
        ["polling duration zero"] = (c => Plan(c, 0, 0)["maximum_polling_duration"] = 0, "$.services[0].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not 0"),
        ["polling duration negative"] = (c => Plan(c, 0, 0)["maximum_polling_duration"] = -5, "$.services[0].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not -5"),
        ["polling duration fractional"] = (c => Plan(c, 0, 0)["maximum_polling_duration"] = 1.5, "$.services[0].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not 1.5"),
        ["polling duration too big"] = (c => Plan(c, 0, 0)["maximum_polling_duration"] = 3_000_000_000L, "$.services[0].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not 3000000000"),
        ["polling duration a string"] = (c => Plan(c, 0, 0)["maximum_polling_duration"] = "60", "$.services[0].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not a string"),
        ["tags a string"] = (c => Service(c, 0)["tags"] = "sql", "$.services[0].tags: must be an array of strings, not a string"),
        ["tag a number"] = (c => Service(c, 0)["tags"] = new JsonArray("sql", 5), "$.services[0].tags[1]: must be a string, not a number"),
        ["requires a string"] = (c => Service(c, 0)["requires"] = "syslog_drain", "$.services[0].requires: must be an array of strings, not a string"),
        ["instances_retrievable a string"] = (c => Service(c, 0)["instances_retrievable"] = "yes", "$.services[0].instances_retrievable: must be a boolean, not a string"),
        ["bindings_retrievable a number"] = (c => Service(c, 0)["bindings_retrievable"] = 1, "$.services[0].bindings_retrievable: must be a boolean, not a number"),
        ["allow_context_updates an object"] = (c => Service(c, 0)["allow_context_updates"] = new JsonObject(), "$.services[0].allow_context_updates: must be a boolean, not an object"),
        ["service plan_updateable a string"] = (c => Service(c, 0)["plan_updateable"] = "false", "$.services[0].plan_updateable: must be a boolean, not a string"),
        ["service metadata an array"] = (c => Service(c, 0)["metadata"] = new JsonArray(), "$.services[0].metadata: must be an object, not an array"),
        ["dashboard_client without a secret"] = (c => Service(c, 0)["dashboard_client"] = new JsonObject { ["id"] = "client" }, "$.services[0].dashboard_client.secret: required"),
        ["dashboard_client a string"] = (c => Service(c, 0)["dashboard_client"] = "client", "$.services[0].dashboard_client: must be an object, not a string"),
        ["plan free a string"] = (c => Plan(c, 0, 0)["free"] = "no", "$.services[0].plans[0].free: must be a boolean, not a string"),
        ["plan bindable a number"] = (c => Plan(c, 0, 0)["bindable"] = 0, "$.services[0].plans[0].bindable: must be a boolean, not a number"),
        ["plan plan_updateable a string"] = (c => Plan(c, 0, 0)["plan_updateable"] = "yes", "$.services[0].plans[0].plan_updateable: must be a boolean, not a string"),
        ["plan binding_rotatable a string"] = (c => Plan(c, 0, 0)["binding_rotatable"] = "yes", "$.services[0].plans[0].binding_rotatable: must be a boolean, not a string"),
        ["plan metadata a string"] = (c => Plan(c, 0, 0)["metadata"] = "m", "$.services[0].plans[0].metadata: must be an object, not a string"),
        ["maintenance_info without a version"] = (c => Plan(c, 0, 0)["maintenance_info"] = new JsonObject { ["description"] = "x" }, "$.services[0].plans[0].maintenance_info.version: required"),
        ["maintenance_info version not semver"] = (c => Plan(c, 0, 0)["maintenance_info"] = new JsonObject { ["version"] = "1.2" }, "$.services[0].plans[0].maintenance_info.version: \"1.2\" is not a semantic version 2.0 (e.g. \"1.2.3\" or \"2.1.1+abcdef\")"),
        ["maintenance_info description a number"] = (c => Plan(c, 0, 0)["maintenance_info"] = new JsonObject { ["version"] = "1.2.3", ["description"] = 1 }, "$.services[0].plans[0].maintenance_info.description: must be a string, not a number"),
        ["schemas an array"] = (c => Plan(c, 0, 0)["schemas"] = new JsonArray(), "$.services[0].plans[0].schemas: must be an object, not an array"),
        ["schema without $schema"] = (c => Plan(c, 0, 0)["schemas"] = JsonNode.Parse("""{"service_instance":{"create":{"parameters":{"type":"object"}}}}"""), "$.services[0].plans[0].schemas.service_instance.create.parameters: the \"$schema\" key is required, declaring the JSON Schema version"),
        ["binding schema parameters a string"] = (c => Plan(c, 0, 0)["schemas"] = JsonNode.Parse("""{"service_binding":{"create":{"parameters":"x"}}}"""), "$.services[0].plans[0].schemas.service_binding.create.parameters: must be an object, not a string"),
        ["schema over 64 kB"] = (c => Plan(c, 0, 0)["schemas"] = JsonNode.Parse("{\"service_instance\":{\"update\":{\"parameters\":{\"$schema\":\"http://json-schema.org/draft-04/schema#\",\"description\":\"" + new string('x', 70_000) + "\"}}}}"), "$.services[0].plans[0].schemas.service_instance.update.parameters: is 70070 bytes; schemas MUST NOT be larger than 64 kB"),
    };

    public static TheoryData<string> Rules => [.. s_rules.Keys];

    private static OsbCatalogReader.Result Read(Action<JsonObject>? change = null)
    {
        var catalog = JsonNode.Parse(Valid)!.AsObject();
        change?.Invoke(catalog);
        return OsbCatalogReader.Read(JsonNode.Parse(catalog.ToJsonString()));
    }

    [Fact]
    public void The_valid_catalog_reads_with_defaults_filled_in()
    {
        var result = Read();

        Assert.Empty(result.Errors);
        var catalog = result.Catalog!;
        Assert.Equal(["db", "cache"], catalog.Services.Select(s => s.Name));
        var db = catalog.Services[0];
        Assert.True(db.Bindable);
        Assert.False(db.InstancesRetrievable);
        Assert.False(db.PlanUpdateable);
        Assert.Equal(["sql"], db.Tags);
        Assert.Empty(db.Requires);
        Assert.True(db.Plans[0].Free);
        Assert.False(db.Plans[1].Free);
        Assert.Null(db.Plans[0].Bindable);
        Assert.Null(db.Plans[0].MaximumPollingDuration);
        Assert.Empty(catalog.Warnings);
    }

    [Theory]
    [MemberData(nameof(Rules))]
    public void A_broken_rule_is_reported_with_its_path(string rule)
    {
        var (breakIt, error) = s_rules[rule];

        var result = Read(breakIt);

        Assert.Null(result.Catalog);
        Assert.Equal([error], result.Errors);
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var result = Read(c =>
        {
            Service(c, 0).Remove("id");
            Service(c, 1)["bindable"] = "no";
            Plan(c, 1, 0)["maximum_polling_duration"] = -1;
        });

        Assert.Equal(
            [
                "$.services[0].id: required",
                "$.services[1].bindable: must be a boolean, not a string",
                "$.services[1].plans[0].maximum_polling_duration: must be a positive whole number of seconds, not -1",
            ],
            result.Errors);
    }

    [Fact]
    public void A_catalog_that_is_not_an_object_is_rejected()
    {
        Assert.Equal(["$: must be a JSON object, not an array"], OsbCatalogReader.Read(JsonNode.Parse("[]")).Errors);
    }

    [Fact]
    public void An_empty_services_array_is_a_valid_catalog()
    {
        var result = OsbCatalogReader.Read(JsonNode.Parse("""{"services":[]}"""));

        Assert.Empty(result.Errors);
        Assert.Empty(result.Catalog!.Services);
    }

    [Fact]
    public void Unknown_fields_are_ignored_as_the_spec_requires()
    {
        var result = Read(c =>
        {
            c["x-vendor"] = new JsonObject { ["a"] = 1 };
            Service(c, 0)["sap-extension"] = true;
            Plan(c, 0, 0)["max_storage_tb"] = 5;
        });

        Assert.Empty(result.Errors);
    }

    [Fact]
    public void Explicit_nulls_for_optional_fields_mean_absent()
    {
        var result = Read(c =>
        {
            Service(c, 0)["tags"] = null;
            Service(c, 0)["metadata"] = null;
            Plan(c, 0, 0)["free"] = null;
            Plan(c, 0, 0)["maximum_polling_duration"] = null;
        });

        Assert.Empty(result.Errors);
        Assert.True(result.Catalog!.Services[0].Plans[0].Free);
    }

    [Fact]
    public void Names_that_are_not_cli_friendly_and_long_descriptions_are_warnings()
    {
        var result = Read(c =>
        {
            Service(c, 0)["name"] = "My Database";
            Plan(c, 0, 0)["description"] = new string('d', 300);
            Service(c, 1)["requires"] = new JsonArray("syslog_drain", "teleport");
        });

        Assert.Empty(result.Errors);
        Assert.Equal(
            [
                "$.services[0].name: \"My Database\" is not CLI-friendly (the spec recommends letters, digits, periods and hyphens) for a Service Offering",
                "$.services[0].plans[0].description: is 300 characters; the spec recommends at most 255",
                "$.services[1].requires[1]: \"teleport\" is not a permission the spec defines (syslog_drain, route_forwarding, volume_mount)",
            ],
            result.Warnings);
        Assert.Equal(result.Warnings, result.Catalog!.Warnings);
    }

    [Fact]
    public void Same_plan_name_in_two_services_is_fine()
    {
        Assert.Empty(Read().Errors);
    }

    [Fact]
    public void The_specs_example_catalog_reads_with_every_field()
    {
        const string Example = """
            {"services":[{"name":"fake-service","id":"acb56d7c-XXXX-XXXX-XXXX-feb140a59a66","description":"A fake service.",
              "tags":["no-sql","relational"],"requires":["route_forwarding"],"bindable":true,"instances_retrievable":true,
              "bindings_retrievable":true,"allow_context_updates":true,
              "metadata":{"provider":{"name":"The name"},"listing":{"imageUrl":"http://example.com/cat.gif","blurb":"Add a blurb here",
                "longDescription":"A long time ago, in a galaxy far far away..."},"displayName":"The Fake Service Broker"},
              "dashboard_client":{"id":"398e2f8e-XXXX-XXXX-XXXX-19a71ecbcf64","secret":"277cabb0-XXXX-XXXX-XXXX-7822c0a90e5d","redirect_uri":"http://localhost:1234"},
              "plan_updateable":true,
              "plans":[{"name":"fake-plan-1","id":"d3031751-XXXX-XXXX-XXXX-a42377d3320e","description":"Shared fake Server, 5tb persistent disk, 40 max concurrent connections.",
                "free":false,"metadata":{"max_storage_tb":5,"costs":[{"amount":{"usd":99.0},"unit":"MONTHLY"}],"bullets":["Shared fake server"]},
                "schemas":{"service_instance":{"create":{"parameters":{"$schema":"http://json-schema.org/draft-04/schema#","type":"object",
                  "properties":{"billing-account":{"description":"Billing account number.","type":"string"}}}},
                  "update":{"parameters":{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}}},
                  "service_binding":{"create":{"parameters":{"$schema":"http://json-schema.org/draft-04/schema#","type":"object"}}}},
                "maintenance_info":{"version":"2.1.1+abcdef","description":"OS image update.\nExpect downtime."},
                "maximum_polling_duration":3600,"binding_rotatable":true},
               {"name":"fake-plan-2","id":"0f4008b5-XXXX-XXXX-XXXX-dace631cd648","description":"Shared fake Server, 100 async.","free":false,"bindable":false,"plan_updateable":false}]}]}
            """;

        var result = OsbCatalogReader.Read(JsonNode.Parse(Example));

        Assert.Empty(result.Errors);
        var service = result.Catalog!.Services.Single();
        Assert.Equal("fake-service", service.Name);
        Assert.Equal(["route_forwarding"], service.Requires);
        Assert.True(service.InstancesRetrievable);
        Assert.True(service.BindingsRetrievable);
        Assert.True(service.AllowContextUpdates);
        Assert.True(service.PlanUpdateable);
        Assert.Equal("The Fake Service Broker", (string?)service.Metadata!["displayName"]);
        Assert.Equal("http://localhost:1234", (string?)service.DashboardClient!["redirect_uri"]);
        var plan = service.Plans[0];
        Assert.Equal(3600, plan.MaximumPollingDuration);
        Assert.Equal("2.1.1+abcdef", (string?)plan.MaintenanceInfo!["version"]);
        Assert.NotNull(plan.Schemas!["service_instance"]);
        Assert.True(plan.BindingRotatable);
        Assert.False(service.Plans[1].Bindable);
        Assert.False(service.Plans[1].PlanUpdateable);
    }
}
