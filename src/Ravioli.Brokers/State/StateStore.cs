using System.Text.Json;
using System.Text.Json.Nodes;
using Ravioli.Brokers.Processes;

namespace Ravioli.Brokers.State;

/// <summary>
/// One broker's durable state: a JSON document written atomically (temp + fsync + rename, 0600) after every change,
/// with instance and binding secrets sealed by <see cref="SecretBox"/>. A handful of instances per broker makes a
/// whole-document rewrite cheaper and simpler than a database, and a reader never sees half a write.
/// </summary>
internal sealed class StateStore
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web) { WriteIndented = true };
    private readonly string _directory;
    private readonly string _path;
    private readonly Lazy<SecretBox> _lazyBox;

    public StateStore(string directory)
    {
        _directory = directory;
        _path = Path.Combine(directory, "state.json");
        _lazyBox = new Lazy<SecretBox>(() =>
        {
            Files.EnsurePrivateDirectory(_directory);
            return new SecretBox(Path.Combine(_directory, "state.key"));
        });
    }

    private SecretBox Box => _lazyBox.Value;

    public string FilePath => _path;

    public BrokerStateDocument Load()
    {
        if (!File.Exists(_path))
        {
            return new BrokerStateDocument();
        }
        var doc = JsonSerializer.Deserialize<BrokerStateDocument>(File.ReadAllText(_path), Json) ?? new BrokerStateDocument();
        foreach (var instance in doc.Instances.Values)
        {
            if (doc.SealedSecrets.TryGetValue("i:" + instance.Id, out var sealedSecrets))
            {
                instance.Secrets = JsonSerializer.Deserialize<Dictionary<string, string>>(Box.Open(sealedSecrets), Json) ?? [];
            }
        }
        foreach (var (key, binding) in doc.Bindings)
        {
            if (doc.SealedSecrets.TryGetValue("b:" + key, out var sealedSecrets))
            {
                var bag = JsonSerializer.Deserialize<SealedBinding>(Box.Open(sealedSecrets), Json);
                binding.Secrets = bag?.Secrets ?? [];
                binding.Credentials = bag?.Credentials;
            }
        }
        doc.SealedSecrets = new(StringComparer.Ordinal);
        return doc;
    }

    public void Save(BrokerStateDocument doc)
    {
        _ = Box; // creates the 0700 directory and the key on first use
        var sealedSecrets = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var instance in doc.Instances.Values)
        {
            if (instance.Secrets.Count > 0)
            {
                sealedSecrets["i:" + instance.Id] = Box.Seal(JsonSerializer.Serialize(instance.Secrets, Json));
            }
        }
        foreach (var (key, binding) in doc.Bindings)
        {
            if (binding.Secrets.Count > 0 || binding.Credentials is not null)
            {
                var bag = new SealedBinding(binding.Secrets, binding.Credentials);
                sealedSecrets["b:" + key] = Box.Seal(JsonSerializer.Serialize(bag, Json));
            }
        }
        doc.SealedSecrets = sealedSecrets;
        try
        {
            Files.WriteAtomic(_path, JsonSerializer.Serialize(doc, Json));
        }
        finally
        {
            doc.SealedSecrets = new(StringComparer.Ordinal);
        }
    }

    private sealed record SealedBinding(Dictionary<string, string> Secrets, JsonObject? Credentials);
}
