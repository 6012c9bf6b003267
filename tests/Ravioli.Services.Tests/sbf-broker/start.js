'use strict';
// A tiny Open Service Broker built on SAP's Service Broker Framework (@sap/sbf), so Ravioli's OSB
// client is tested against broker code that someone else wrote. SBF runs standalone: no XSUAA
// (autoCredentials: false, the onBind hook makes the credentials), no audit log service.
//
// Two brokers in one process, as SBF's "broker as middleware" mode allows:
//   /good   — catalog.json: plan "sync" completes in the request, plan "async" answers 202 and
//             completes on the second last_operation poll.
//   /sloppy — catalog-sloppy.json: accepted by SBF's own checks, but breaks OSB rules it skips.
//
// Environment: SBF_BROKER_CREDENTIALS={"user":"password"} (read by SBF), PORT (0 = any free port).
// Prints "ravioli-test-broker listening on port N" once it accepts connections.

const path = require('path');
const express = require('express');
const Broker = require('@sap/sbf');

const ASYNC_PLAN = '0d7a4b9e-3c52-4b8f-8f3e-5d6a2b7c1e02';
const POLLS_UNTIL_DONE = 2;

const instances = new Map();   // instance_id -> { service_id, plan_id, parameters, context, ... }
const bindings = new Map();    // binding_id -> { instance_id, credentials, parameters, ... }
const operations = new Map();  // operation id -> { kind, id, polls, state }
let operationCounter = 0;

function httpError(statusCode, message) {
  const error = new Error(message);
  error.statusCode = statusCode;
  return error;
}

// Lets a test ask the broker to fail: parameters {"fail_with": 400, "message": "..."}.
function requestedFailure(params) {
  const p = params.parameters;
  return p && p.fail_with ? httpError(p.fail_with, p.message || `failing on request (${p.fail_with})`) : null;
}

function requiresAsync(params) {
  return params.plan_id === ASYNC_PLAN;
}

function startOperation(kind, id, onDone) {
  const operation = `${kind}-${++operationCounter}`;
  operations.set(operation, { kind, id, polls: 0, onDone });
  return operation;
}

function pollOperation(params, callback) {
  const op = operations.get(params.operation);
  if (!op) {
    return callback(httpError(400, `unknown operation "${params.operation}"`));
  }
  op.polls++;
  // Retry-After is an HTTP header, so the hook sets it on the response SBF is about to send.
  params.req.res.set('Retry-After', '1');
  if (op.polls < POLLS_UNTIL_DONE) {
    return callback(null, { state: 'in progress', description: `${op.kind} ${op.id}: poll ${op.polls}` });
  }
  if (op.onDone && !op.done) {
    op.onDone();
    op.done = true;
  }
  if (op.kind.startsWith('deprovision') || op.kind.startsWith('unbind')) {
    // OSB: once a delete has finished, last_operation answers 410 Gone.
    return op.polls > POLLS_UNTIL_DONE ? callback(httpError(410, 'gone'))
      : callback(null, { state: 'succeeded', description: `${op.kind} ${op.id} done` });
  }
  return callback(null, { state: 'succeeded', description: `${op.kind} ${op.id} done` });
}

const hooks = {
  onProvision: (params, callback) => {
    const failure = requestedFailure(params);
    if (failure) { return callback(failure); }
    const existing = instances.get(params.instance_id);
    if (existing && existing.plan_id !== params.plan_id) {
      return callback(httpError(409, 'an instance with this id exists with another plan'));
    }
    if (requiresAsync(params) && params.accepts_incomplete !== 'true') {
      return callback(httpError(422, 'This plan requires client support for asynchronous operations.'));
    }
    const instance = {
      service_id: params.service_id,
      plan_id: params.plan_id,
      parameters: params.parameters || {},
      context: params.context || null,
      organization_guid: params.organization_guid,
      space_guid: params.space_guid,
      maintenance_info: params.maintenance_info || null,
      provisioned_by: params.originating_identity ? params.originating_identity.user_id : null,
      ready: !requiresAsync(params),
    };
    instances.set(params.instance_id, instance);
    const dashboard_url = `http://dashboard.invalid/instances/${params.instance_id}`;
    if (requiresAsync(params)) {
      const operation = startOperation('provision', params.instance_id, () => { instance.ready = true; });
      return callback(null, { async: true, operation, dashboard_url });
    }
    return callback(null, { dashboard_url });
  },

  onUpdate: (params, callback) => {
    const failure = requestedFailure(params);
    if (failure) { return callback(failure); }
    const instance = instances.get(params.instance_id);
    if (!instance) { return callback(httpError(422, 'no such instance')); }
    const apply = () => {
      if (params.plan_id) { instance.plan_id = params.plan_id; }
      if (params.parameters) { instance.parameters = params.parameters; }
      instance.previous_values = params.previous_values;
    };
    if (requiresAsync({ plan_id: instance.plan_id })) {
      return callback(null, { async: true, operation: startOperation('update', params.instance_id, apply) });
    }
    apply();
    return callback(null, {});
  },

  onDeprovision: (params, callback) => {
    const failure = requestedFailure(params);
    if (failure) { return callback(failure); }
    if (!instances.has(params.instance_id)) { return callback(httpError(410, 'no such instance')); }
    if (requiresAsync(params)) {
      const operation = startOperation('deprovision', params.instance_id, () => instances.delete(params.instance_id));
      return callback(null, { async: true, operation });
    }
    instances.delete(params.instance_id);
    return callback(null, {});
  },

  onLastOperation: pollOperation,

  onFetchInstanceParams: (params, callback) => {
    const instance = instances.get(params.instance_id);
    if (!instance || !instance.ready) { return callback(httpError(404, 'no such instance')); }
    return callback(null, { service_id: instance.service_id, plan_id: instance.plan_id, parameters: instance.parameters });
  },

  onBind: (params, callback) => {
    const failure = requestedFailure(params);
    if (failure) { return callback(failure); }
    const instance = instances.get(params.instance_id);
    if (!instance || !instance.ready) { return callback(httpError(422, 'the instance is not ready')); }
    const credentials = {
      uri: `kv://user-${params.binding_id}:secret-${params.binding_id}@127.0.0.1:7000/${params.instance_id}`,
      username: `user-${params.binding_id}`,
      password: `secret-${params.binding_id}`,
      instance_id: params.instance_id,
      binding_id: params.binding_id,
      // Echoes of what the platform sent, so tests can see SBF parsed them.
      app_guid: (params.bind_resource && params.bind_resource.app_guid) || null,
      top_level_app_guid: params.app_guid || null,
      platform: params.context ? params.context.platform : null,
      requested_by: params.originating_identity ? params.originating_identity.user_id : null,
      parameters: params.parameters || {},
    };
    const binding = { instance_id: params.instance_id, credentials, parameters: params.parameters || {}, ready: false };
    bindings.set(params.binding_id, binding);
    if (requiresAsync(params)) {
      const operation = startOperation('bind', params.binding_id, () => { binding.ready = true; });
      return callback(null, { async: true, operation });
    }
    binding.ready = true;
    return callback(null, { credentials });
  },

  onUnbind: (params, callback) => {
    const failure = requestedFailure(params);
    if (failure) { return callback(failure); }
    if (!bindings.has(params.binding_id)) { return callback(httpError(410, 'no such binding')); }
    if (requiresAsync(params)) {
      const operation = startOperation('unbind', params.binding_id, () => bindings.delete(params.binding_id));
      return callback(null, { async: true, operation });
    }
    bindings.delete(params.binding_id);
    return callback(null, {});
  },

  onBindLastOperation: pollOperation,

  onFetchBindingParams: (params, callback) => {
    const binding = bindings.get(params.binding_id);
    if (!binding || !binding.ready) { return callback(httpError(404, 'no such binding')); }
    return callback(null, { credentials: binding.credentials, parameters: binding.parameters });
  },
};

function broker(catalogFile) {
  return new Broker({
    catalog: path.join(__dirname, catalogFile),
    autoCredentials: false,
    enableAuditLog: false,
    hooks,
  });
}

const app = express();
app.use('/good', broker('catalog.json').app);
app.use('/sloppy', broker('catalog-sloppy.json').app);

const server = app.listen(Number(process.env.PORT || 0), '127.0.0.1', () => {
  console.log(`ravioli-test-broker listening on port ${server.address().port}`);
});

// The test fixture closes stdin when it is done; exit then even if it could not kill us.
process.stdin.on('end', () => process.exit(0));
process.stdin.resume();
