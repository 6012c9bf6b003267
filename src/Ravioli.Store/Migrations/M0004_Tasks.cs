using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ravioli.Store.Migrations;

/// <summary>One-off tasks run from an app's droplet.</summary>
[DbContext(typeof(RavioliDb))]
[Migration("20261121000004_Tasks")]
public sealed class Tasks : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("tasks", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: false),
            sequence_id = t.Column<int>(nullable: false),
            command = t.Column<string>(nullable: false),
            state = t.Column<string>(nullable: false),
            droplet_guid = t.Column<string>(nullable: false),
            memory_mb = t.Column<int>(nullable: false),
            disk_mb = t.Column<int>(nullable: false),
            run_spec = t.Column<string>(nullable: false),
            failure_reason = t.Column<string>(nullable: true),
            exit_code = t.Column<int>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_tasks", x => x.guid);
            t.ForeignKey("fk_tasks_app", x => x.app_guid, "apps", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_tasks_app_guid_sequence_id", "tasks", ["app_guid", "sequence_id"], unique: true);
        m.CreateIndex("ix_tasks_state", "tasks", "state");
    }
}
