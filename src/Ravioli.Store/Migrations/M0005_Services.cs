using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;

namespace Ravioli.Store.Migrations;

/// <summary>The service marketplace: brokers, their catalogs, plan access, instances and bindings.</summary>
[DbContext(typeof(RavioliDb))]
[Migration("20261121000005_Services")]
public sealed class Services : Migration
{
    protected override void Up(MigrationBuilder m)
    {
        m.CreateTable("service_brokers", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            url = t.Column<string>(nullable: false),
            username = t.Column<string>(nullable: false),
            password = t.Column<string>(nullable: false),
            space_guid = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_service_brokers", x => x.guid);
            t.ForeignKey("fk_service_brokers_space", x => x.space_guid, "spaces", "guid", onDelete: ReferentialAction.Restrict);
        });
        m.CreateIndex("ix_service_brokers_name", "service_brokers", "name", unique: true);

        m.CreateTable("service_offerings", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            broker_guid = t.Column<string>(nullable: false),
            catalog_id = t.Column<string>(nullable: false),
            description = t.Column<string>(nullable: false),
            available = t.Column<bool>(nullable: false),
            tags = t.Column<string>(nullable: false),
            requires = t.Column<string>(nullable: false),
            metadata = t.Column<string>(nullable: true),
            bindable = t.Column<bool>(nullable: false),
            instances_retrievable = t.Column<bool>(nullable: false),
            bindings_retrievable = t.Column<bool>(nullable: false),
            plan_updateable = t.Column<bool>(nullable: false),
            allow_context_updates = t.Column<bool>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_service_offerings", x => x.guid);
            t.ForeignKey("fk_service_offerings_broker", x => x.broker_guid, "service_brokers", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_service_offerings_broker_guid_catalog_id", "service_offerings", ["broker_guid", "catalog_id"], unique: true);
        m.CreateIndex("ix_service_offerings_name", "service_offerings", "name");

        m.CreateTable("service_plans", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: false),
            offering_guid = t.Column<string>(nullable: false),
            catalog_id = t.Column<string>(nullable: false),
            description = t.Column<string>(nullable: false),
            available = t.Column<bool>(nullable: false),
            free = t.Column<bool>(nullable: false),
            bindable = t.Column<bool>(nullable: true),
            plan_updateable = t.Column<bool>(nullable: true),
            metadata = t.Column<string>(nullable: true),
            schemas = t.Column<string>(nullable: true),
            maintenance_info = t.Column<string>(nullable: true),
            maximum_polling_duration = t.Column<int>(nullable: true),
            visibility_type = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_service_plans", x => x.guid);
            t.ForeignKey("fk_service_plans_offering", x => x.offering_guid, "service_offerings", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_service_plans_offering_guid_catalog_id", "service_plans", ["offering_guid", "catalog_id"], unique: true);

        m.CreateTable("service_plan_visibilities", t => new
        {
            plan_guid = t.Column<string>(nullable: false),
            organization_guid = t.Column<string>(nullable: false),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_service_plan_visibilities", x => new { x.plan_guid, x.organization_guid });
            t.ForeignKey("fk_service_plan_visibilities_plan", x => x.plan_guid, "service_plans", "guid", onDelete: ReferentialAction.Cascade);
            t.ForeignKey("fk_service_plan_visibilities_organization", x => x.organization_guid, "organizations", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_service_plan_visibilities_organization_guid", "service_plan_visibilities", "organization_guid");

        m.CreateTable("service_instances", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: true),
            last_operation_type = t.Column<string>(nullable: false),
            last_operation_state = t.Column<string>(nullable: false),
            last_operation_description = t.Column<string>(nullable: true),
            last_operation_created_at = t.Column<DateTime>(nullable: false),
            last_operation_updated_at = t.Column<DateTime>(nullable: false),
            broker_operation = t.Column<string>(nullable: true),
            pending_request = t.Column<string>(nullable: true),
            orphan_mitigation = t.Column<bool>(nullable: false),
            operation_user_guid = t.Column<string>(nullable: true),
            type = t.Column<string>(nullable: false),
            space_guid = t.Column<string>(nullable: false),
            plan_guid = t.Column<string>(nullable: true),
            tags = t.Column<string>(nullable: false),
            credentials = t.Column<string>(nullable: true),
            syslog_drain_url = t.Column<string>(nullable: true),
            route_service_url = t.Column<string>(nullable: true),
            dashboard_url = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_service_instances", x => x.guid);
            // Restrict: a space or plan cannot vanish under an instance the broker still holds.
            t.ForeignKey("fk_service_instances_space", x => x.space_guid, "spaces", "guid", onDelete: ReferentialAction.Restrict);
            t.ForeignKey("fk_service_instances_plan", x => x.plan_guid, "service_plans", "guid", onDelete: ReferentialAction.Restrict);
        });
        m.CreateIndex("ix_service_instances_space_guid_name", "service_instances", ["space_guid", "name"], unique: true);
        m.CreateIndex("ix_service_instances_plan_guid", "service_instances", "plan_guid");
        m.CreateIndex("ix_service_instances_last_operation_state", "service_instances", "last_operation_state");

        m.CreateTable("service_bindings", t => new
        {
            guid = t.Column<string>(nullable: false),
            created_at = t.Column<DateTime>(nullable: false),
            updated_at = t.Column<DateTime>(nullable: false),
            version = t.Column<string>(nullable: false),
            name = t.Column<string>(nullable: true),
            last_operation_type = t.Column<string>(nullable: false),
            last_operation_state = t.Column<string>(nullable: false),
            last_operation_description = t.Column<string>(nullable: true),
            last_operation_created_at = t.Column<DateTime>(nullable: false),
            last_operation_updated_at = t.Column<DateTime>(nullable: false),
            broker_operation = t.Column<string>(nullable: true),
            pending_request = t.Column<string>(nullable: true),
            orphan_mitigation = t.Column<bool>(nullable: false),
            operation_user_guid = t.Column<string>(nullable: true),
            type = t.Column<string>(nullable: false),
            instance_guid = t.Column<string>(nullable: false),
            app_guid = t.Column<string>(nullable: true),
            unique_name = t.Column<string>(nullable: false),
            credentials = t.Column<string>(nullable: true),
            syslog_drain_url = t.Column<string>(nullable: true),
            volume_mounts = t.Column<string>(nullable: true),
        }, constraints: t =>
        {
            t.PrimaryKey("pk_service_bindings", x => x.guid);
            t.ForeignKey("fk_service_bindings_instance", x => x.instance_guid, "service_instances", "guid", onDelete: ReferentialAction.Cascade);
        });
        m.CreateIndex("ix_service_bindings_instance_guid_type_unique_name", "service_bindings", ["instance_guid", "type", "unique_name"], unique: true);
        m.CreateIndex("ix_service_bindings_app_guid", "service_bindings", "app_guid");
        m.CreateIndex("ix_service_bindings_last_operation_state", "service_bindings", "last_operation_state");
    }
}
