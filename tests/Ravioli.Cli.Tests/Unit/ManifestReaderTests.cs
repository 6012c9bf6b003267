using System.Diagnostics;
using System.Text;
using Ravioli.Cli.Manifests;

namespace Ravioli.Cli.Tests.Unit;

public sealed class ManifestReaderTests
{
    private const string Path = "/apps/shop/manifest.yml";

    private static Manifest Parse(string yaml) => ManifestReader.Parse(yaml.ReplaceLineEndings("\n"), Path);

    private static CliException Refused(string yaml) => Assert.Throws<CliException>(() => Parse(yaml));

    [Fact]
    public void Parse_EveryCfKey_IsRead()
    {
        var manifest = Parse("""
            ---
            version: 1
            applications:
            - name: shop
              path: ./build
              memory: 512M
              disk_quota: 2G
              instances: 3
              buildpacks:
              - nodejs_buildpack
              - binary_buildpack
              command: node server.js
              env:
                GREETING: hello
                RETRIES: 3
                DEBUG: true
              routes:
              - route: shop.apps.localhost
              - route: apps.example.com/shop
              health-check-type: http
              health-check-http-endpoint: /health
              health-check-invocation-timeout: 5
              timeout: 90
              services:
              - db
              - name: cache
            """);

        var app = Assert.Single(manifest.Apps);
        Assert.Empty(manifest.Warnings);
        Assert.Equal("shop", app.Name);
        Assert.Equal(4, app.Line);
        Assert.Equal("./build", app.Path);
        Assert.Equal(new ProcessSettings
        {
            Instances = 3,
            MemoryMb = 512,
            DiskMb = 2048,
            Command = "node server.js",
            HealthCheckType = "http",
            HealthCheckEndpoint = "/health",
            Timeout = 90,
            InvocationTimeout = 5,
        }, app.Web);
        Assert.Equal(["nodejs_buildpack", "binary_buildpack"], app.Buildpacks);
        Assert.Equal(new Dictionary<string, string> { ["GREETING"] = "hello", ["RETRIES"] = "3", ["DEBUG"] = "true" }, app.Env);
        Assert.Equal(["shop.apps.localhost", "apps.example.com/shop"], app.Routes);
        Assert.Equal(["db", "cache"], app.Services.Select(s => s.Name));
        Assert.Equal("/apps/shop", manifest.Directory);
    }

    [Fact]
    public void Parse_SeveralApps_KeepTheirOrderAndOwnSettings()
    {
        var manifest = Parse("""
            applications:
            - name: api
              instances: 2
            - name: worker
              no-route: true
            - name: web
              random-route: yes
            """);

        Assert.Equal(["api", "worker", "web"], manifest.Apps.Select(a => a.Name));
        Assert.Equal([2, null, null], manifest.Apps.Select(a => a.Web.Instances));
        Assert.Equal([false, true, false], manifest.Apps.Select(a => a.NoRoute));
        Assert.Equal([false, false, true], manifest.Apps.Select(a => a.RandomRoute));
        Assert.All(manifest.Apps, a => Assert.Null(a.Routes));
    }

    [Fact]
    public void Parse_Processes_AreReadPerType()
    {
        var manifest = Parse("""
            applications:
            - name: shop
              processes:
              - type: web
                instances: 2
                memory: 1G
                health-check-type: http
                health-check-http-endpoint: /ready
              - type: worker
                command: node worker.js
                instances: 1
                disk_quota: 512M
                health-check-type: process
                timeout: 30
            """);

        var processes = Assert.Single(manifest.Apps).Processes;
        Assert.Equal(["web", "worker"], processes.Select(p => p.Type));
        Assert.Equal(new ProcessSettings { Instances = 2, MemoryMb = 1024, HealthCheckType = "http", HealthCheckEndpoint = "/ready" }, processes[0].Settings);
        Assert.Equal(new ProcessSettings { Command = "node worker.js", Instances = 1, DiskMb = 512, HealthCheckType = "process", Timeout = 30 }, processes[1].Settings);
        Assert.Equal(9, processes[1].Line);
    }

    [Theory]
    [InlineData("buildpack: nodejs_buildpack", "nodejs_buildpack")]
    [InlineData("buildpack: default", "")]
    [InlineData("buildpack: null", "")]
    [InlineData("buildpacks: []", "")]
    public void Parse_LegacyBuildpackKey_BecomesTheList(string line, string expected)
    {
        var app = Assert.Single(Parse($"applications:\n- name: a\n  {line}\n").Apps);

        Assert.Equal(expected.Length == 0 ? [] : [expected], app.Buildpacks);
    }

    [Theory]
    [InlineData("none", "process")]
    [InlineData("NONE", "process")]
    [InlineData("port", "port")]
    [InlineData("Http", "http")]
    [InlineData("process", "process")]
    public void Parse_HealthCheckType_AcceptsCfsLegacyNone(string type, string expected)
        => Assert.Equal(expected, Assert.Single(Parse($"applications:\n- name: a\n  health-check-type: {type}\n").Apps).Web.HealthCheckType);

    [Theory]
    [InlineData("command: null", "")]
    [InlineData("command: default", "")]
    [InlineData("command:", null)]
    [InlineData("command: ./run --fast", "./run --fast")]
    public void Parse_Command_NullOrDefaultMeansTheDropletsCommand(string line, string? expected)
        => Assert.Equal(expected, Assert.Single(Parse($"applications:\n- name: a\n  {line}\n").Apps).Web.Command);

    [Fact]
    public void Parse_UnknownKeys_WarnWithTheirLineAndAreIgnored()
    {
        var manifest = Parse("""
            applications:
            - name: shop
              memory: 256M
              instances: 1
              buildpacks:
              - nodejs_buildpack
              memroy: 512M
              processes:
              - type: web
                instancez: 2
              stack: cflinuxfs4
              host: shop
            colour: blue
            """);

        Assert.Equal(256, Assert.Single(manifest.Apps).Web.MemoryMb);
        Assert.Equal(
        [
            "manifest.yml line 7: unknown key 'memroy' (ignored)",
            "manifest.yml line 10: unknown key 'instancez' (ignored)",
            "manifest.yml line 11: 'stack' is not supported by Ravioli (ignored)",
            "manifest.yml line 12: 'host' is a deprecated cf key; use 'routes:' instead (ignored)",
            "manifest.yml line 13: unknown key 'colour' (ignored)",
        ], manifest.Warnings);
    }

    public static TheoryData<string, string> WrongTypes { get; } = new()
    {
        { "  instances: two", "manifest.yml line 4: 'instances' must be a whole number, got 'two'" },
        { "  instances: -1", "manifest.yml line 4: 'instances' must be at least 0, got '-1'" },
        { "  instances: [1, 2]", "manifest.yml line 4: 'instances' must be a whole number, got a list" },
        { "  memory: lots", "manifest.yml line 4: 'memory' must be a size such as 256M or 1G, got 'lots'" },
        { "  disk_quota: 1.5G", "manifest.yml line 4: 'disk_quota' must be a size such as 256M or 1G, got '1.5G'" },
        { "  memory: unlimited", "manifest.yml line 4: 'memory' must be a size such as 256M or 1G, got 'unlimited'" },
        { "  timeout: 0", "manifest.yml line 4: 'timeout' must be at least 1, got '0'" },
        { "  random-route: maybe", "manifest.yml line 4: 'random-route' must be true or false, got 'maybe'" },
        { "  no-route: {a: 1}", "manifest.yml line 4: 'no-route' must be true or false, got a mapping" },
        { "  health-check-type: tcp", "manifest.yml line 4: 'health-check-type' must be port, http or process, got 'tcp'" },
        { "  health-check-http-endpoint: health", "manifest.yml line 4: 'health-check-http-endpoint' must be a path starting with '/', got 'health'" },
        { "  buildpacks: nodejs_buildpack", "manifest.yml line 4: 'buildpacks' must be a list of names, such as [nodejs_buildpack], got 'nodejs_buildpack'" },
        { "  path: [a]", "manifest.yml line 4: 'path' must be a string, got a list" },
        { "  env: [A, B]", "manifest.yml line 4: 'env' must be a mapping of NAME: value, got a list" },
        { "  env:\n    NESTED: {a: 1}", "manifest.yml line 5: 'env.NESTED' must be a string, number or true/false, got a mapping" },
        { "  env:\n    9LIVES: x", "manifest.yml line 5: '9LIVES' is not a valid env variable name: use letters, digits and '_', not starting with a digit" },
        { "  routes: shop.apps.localhost", "manifest.yml line 4: 'routes' must be a list such as [{route: myapp.apps.localhost}], got 'shop.apps.localhost'" },
        { "  routes:\n  - shop.apps.localhost", "manifest.yml line 5: each entry of 'routes' must be a mapping such as {route: myapp.apps.localhost}, got 'shop.apps.localhost'" },
        { "  routes:\n  - route: http://shop.apps.localhost", "manifest.yml line 5: write 'route' without a scheme, such as myapp.apps.localhost/path; got 'http://shop.apps.localhost'" },
        { "  routes:\n  - route: tcp.apps.localhost:1024", "manifest.yml line 5: routes with a port (TCP routes) are not supported; got 'tcp.apps.localhost:1024'" },
        { "  processes:\n  - command: x", "manifest.yml line 5: an entry of 'processes' has no 'type' (such as web or worker)" },
        { "  processes:\n  - type: web\n  - type: web", "manifest.yml line 6: process type 'web' is listed more than once in 'processes'" },
        { "  processes:\n  - type: worker\n    instances: many", "manifest.yml line 6: 'instances' must be a whole number, got 'many'" },
        { "  services:\n  - {parameters: {}}", "manifest.yml line 5: an entry of 'services' has no name" },
        { "  services:\n  - name: db\n    parameters: [a]", "manifest.yml line 6: 'parameters' of a service must be a mapping (the JSON object sent to the broker), got a list" },
        { "  services: [db, db]", "manifest.yml line 4: service 'db' is listed twice; an app binds a service instance once" },
        { "  services: db", "manifest.yml line 4: 'services' must be a list of service instance names, got 'db'" },
        { "  buildpack: a\n  buildpacks: [b]", "manifest.yml line 4: give either 'buildpacks' or the legacy 'buildpack', not both" },
    };

    [Theory]
    [MemberData(nameof(WrongTypes))]
    public void Parse_WrongType_IsAnErrorNamingTheLine(string lines, string message)
    {
        var error = Refused($"applications:\n- name: shop\n  command: run\n{lines}\n");

        Assert.Equal(message, error.Message);
    }

    [Theory]
    [InlineData("applications:\n- memory: 256M\n", "manifest.yml line 2: app 1 of 'applications' has no 'name'")]
    [InlineData("applications:\n- name: a\n- instances: 2\n", "manifest.yml line 3: app 2 of 'applications' has no 'name'")]
    [InlineData("applications:\n- name: ''\n", "manifest.yml line 2: app 1 of 'applications' has no 'name'")]
    [InlineData("applications:\n- name: a\n- name: a\n", "manifest.yml line 3: app 'a' is listed more than once")]
    [InlineData("applications: []\n", "manifest.yml line 1: 'applications' lists no apps")]
    [InlineData("applications: web\n", "manifest.yml line 1: 'applications' must be a list of apps, each with a 'name'")]
    [InlineData("version: 1\n", "manifest.yml line 1: 'applications' must be a list of apps, each with a 'name'")]
    [InlineData("- name: a\n", "manifest.yml line 1: the manifest must be a mapping with an 'applications:' list")]
    [InlineData("", "manifest.yml line 1: the manifest is empty; it needs an 'applications:' list")]
    [InlineData("applications:\n- a\n", "manifest.yml line 2: app 1 of 'applications' must be a mapping of keys such as name, memory and instances")]
    [InlineData("applications:\n- name: a\n---\napplications:\n- name: b\n", "manifest.yml line 4: there is more than one YAML document (---); list every app under one 'applications:'")]
    public void Parse_MissingOrMisshapenApps_AreErrors(string yaml, string message)
        => Assert.Equal(message, Refused(yaml).Message);

    [Theory]
    [InlineData("applications:\n- name: a\n  memory: [256M\n")]
    [InlineData("applications:\n- name: a\n\tmemory: 1G\n")]
    [InlineData("applications:\n- name: a\n  name: b\n")]
    [InlineData("applications:\n- name: *nowhere\n")]
    public void Parse_InvalidYaml_SaysSoWithALine(string yaml)
        => Assert.Matches(@"^manifest\.yml line \d+: ", Refused(yaml).Message);

    [Fact]
    public void Parse_BillionLaughs_IsRefusedQuickly()
    {
        var yaml = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (var i = 1; i < 10; i++)
        {
            yaml.Append($"a{i}: &a{i} [{string.Join(", ", Enumerable.Repeat($"*a{i - 1}", 10))}]\n");
        }

        yaml.Append("applications:\n- name: lol\n  env:\n    LOL: *a9\n");
        var clock = Stopwatch.StartNew();

        var error = Refused(yaml.ToString());

        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(2), $"took {clock.Elapsed}");
        Assert.Contains("more than 32 YAML aliases", error.Message);
        Assert.StartsWith("manifest.yml line 5: ", error.Message);
    }

    [Fact]
    public void Parse_DeepNesting_IsRefused()
    {
        var yaml = "applications:\n- name: deep\n  env: " + new string('[', 5000) + new string(']', 5000) + "\n";

        Assert.Contains("nested more than 32 levels deep", Refused(yaml).Message);
    }

    [Fact]
    public void Parse_MoreThanOneMebibyte_IsRefused()
    {
        var yaml = "applications:\n- name: big\n# " + new string('x', 1024 * 1024) + "\n";

        Assert.Contains("more than 1M", Refused(yaml).Message);
    }

    [Fact]
    public void Parse_AFewAliasesAndMergeKeys_Work()
    {
        var manifest = Parse("""
            defaults: &defaults
              memory: 128M
              instances: 2
              env: &env
                STAGE: prod
            applications:
            - name: api
              <<: *defaults
              instances: 3
            - name: worker
              <<: *defaults
              env: *env
            """);

        Assert.Equal([(128L, 3), (128L, 2)], manifest.Apps.Select(a => (a.Web.MemoryMb!.Value, a.Web.Instances!.Value)));
        Assert.Equal("prod", manifest.Apps[1].Env["STAGE"]);
        Assert.Equal(["manifest.yml line 1: unknown key 'defaults' (ignored)"], manifest.Warnings);
    }

    [Fact]
    public void Parse_Services_AcceptNamesAndMappings()
        => Assert.Equal(["db", "cache"], Assert.Single(Parse("applications:\n- name: a\n  services:\n  - db\n  - name: cache\n    parameters: {size: small}\n").Apps).Services.Select(s => s.Name));

    [Fact]
    public void Parse_ServiceParameters_BecomeJsonWithYamlTypes_AndTheBindingNameIsKept()
    {
        var service = Assert.Single(Assert.Single(Parse("""
            applications:
            - name: a
              services:
              - name: cache
                binding_name: sessions
                parameters:
                  size: 2
                  ratio: 0.5
                  ha: true
                  zone: "7"
                  nothing: ~
                  regions: [eu, us]
                  limits: {connections: 100}
            """).Apps).Services);

        Assert.Equal("cache", service.Name);
        Assert.Equal("sessions", service.BindingName);
        Assert.Equal(
            """{"size":2,"ratio":0.5,"ha":true,"zone":"7","nothing":null,"regions":["eu","us"],"limits":{"connections":100}}""",
            service.Parameters!.ToJsonString());
    }

    [Fact]
    public async Task LoadAsync_MissingFile_SaysWhichFile()
    {
        var error = await Assert.ThrowsAsync<CliException>(() => ManifestReader.LoadAsync("/nonexistent/manifest.yml", default));

        Assert.Contains("/nonexistent/manifest.yml does not exist", error.Message);
    }

    [Fact]
    public async Task LoadAsync_FileOverOneMebibyte_IsRefusedWithoutParsing()
    {
        var file = System.IO.Path.GetTempFileName();
        try
        {
            await File.WriteAllTextAsync(file, "applications:\n" + new string('#', 2 * 1024 * 1024));

            var error = await Assert.ThrowsAsync<CliException>(() => ManifestReader.LoadAsync(file, default));

            Assert.Contains("more than a manifest may be", error.Message);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Find_PrefersManifestYmlThenYaml()
    {
        var directory = Directory.CreateTempSubdirectory("rav-manifest-").FullName;
        try
        {
            Assert.Null(ManifestReader.Find(directory));
            File.WriteAllText(System.IO.Path.Combine(directory, "manifest.yaml"), "");
            Assert.EndsWith("manifest.yaml", ManifestReader.Find(directory));
            File.WriteAllText(System.IO.Path.Combine(directory, "manifest.yml"), "");
            Assert.EndsWith("manifest.yml", ManifestReader.Find(directory));
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }
}
