package main

// The deployment files in the repository (Dockerfile, .dockerignore,
// deploy/systemd, deploy/kubernetes) checked against the real binary: every
// flag they pass exists, the probe paths answer on a running server, the
// Kubernetes objects select each other, the image's build is static and
// non-root. No container runtime is needed (the image itself is not built
// here: building it needs the base images from a container registry).

import (
	"debug/elf"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"
)

const repoRoot = "../.."

// serveFlags are the long flags `dataport serve --help` lists.
func serveFlags(t *testing.T) map[string]bool {
	t.Helper()
	out, err := exec.Command(binary, "serve", "--help").CombinedOutput()
	if err != nil {
		t.Fatalf("dataport serve --help: %v\n%s", err, out)
	}
	flags := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^\s+(?:-\w, )?--([a-z0-9-]+)`).FindAllStringSubmatch(string(out), -1) {
		flags[m[1]] = true
	}
	for _, f := range []string{"addr", "data", "db", "node", "search-dir"} {
		if !flags[f] {
			t.Fatalf("serve --help lists no --%s; parsed %v from\n%s", f, flags, out)
		}
	}
	return flags
}

// checkArgs fails for every --flag in args that serve does not have.
func checkArgs(t *testing.T, where string, args []string, flags map[string]bool) {
	t.Helper()
	for _, a := range args {
		if !strings.HasPrefix(a, "--") {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimPrefix(a, "--"), "=")
		if !flags[name] {
			t.Errorf("%s passes --%s, which `dataport serve` does not have", where, name)
		}
	}
}

// checkEnvName fails for a DATAPORT_* variable that names no flag (every
// flag reads DATAPORT_<FLAG>); extra names the binary reads itself are allowed.
func checkEnvName(t *testing.T, where, name string, flags map[string]bool, extra ...string) {
	t.Helper()
	if !strings.HasPrefix(name, "DATAPORT_") || slices.Contains(extra, name) {
		return
	}
	flag := strings.ReplaceAll(strings.ToLower(strings.TrimPrefix(name, "DATAPORT_")), "_", "-")
	if !flags[flag] {
		t.Errorf("%s sets %s, but `dataport serve` has no --%s", where, name, flag)
	}
}

// Minimal shapes of the Kubernetes objects, for the fields checked.
type k8sObject struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Metadata   struct {
		Name   string            `json:"name"`
		Labels map[string]string `json:"labels"`
	} `json:"metadata"`
	Spec k8sSpec `json:"spec"`
}

type k8sSpec struct {
	// Deployment, Job
	Replicas *int `json:"replicas"`
	Selector struct {
		MatchLabels map[string]string `json:"matchLabels"`
	} `json:"selector"`
	Template struct {
		Metadata struct {
			Labels map[string]string `json:"labels"`
		} `json:"metadata"`
		Spec podSpec `json:"spec"`
	} `json:"template"`
	// PodDisruptionBudget
	MinAvailable *int `json:"minAvailable"`
	// Service (its selector is a plain map: read separately)
	Ports []struct {
		Port       int    `json:"port"`
		TargetPort string `json:"targetPort"`
	} `json:"ports"`
	// PersistentVolumeClaim
	AccessModes []string `json:"accessModes"`
}

type podSpec struct {
	SecurityContext struct {
		RunAsNonRoot *bool `json:"runAsNonRoot"`
		RunAsUser    *int  `json:"runAsUser"`
	} `json:"securityContext"`
	Containers []container `json:"containers"`
	Volumes    []struct {
		Name                  string `json:"name"`
		PersistentVolumeClaim *struct {
			ClaimName string `json:"claimName"`
		} `json:"persistentVolumeClaim"`
		EmptyDir *map[string]any `json:"emptyDir"`
	} `json:"volumes"`
}

type container struct {
	Name string   `json:"name"`
	Args []string `json:"args"`
	Env  []struct {
		Name      string `json:"name"`
		Value     string `json:"value"`
		ValueFrom *struct {
			FieldRef *struct {
				FieldPath string `json:"fieldPath"`
			} `json:"fieldRef"`
			SecretKeyRef *struct {
				Name string `json:"name"`
				Key  string `json:"key"`
			} `json:"secretKeyRef"`
		} `json:"valueFrom"`
	} `json:"env"`
	Ports []struct {
		Name          string `json:"name"`
		ContainerPort int    `json:"containerPort"`
	} `json:"ports"`
	ReadinessProbe, LivenessProbe, StartupProbe *probe
	SecurityContext                             struct {
		AllowPrivilegeEscalation *bool `json:"allowPrivilegeEscalation"`
		ReadOnlyRootFilesystem   *bool `json:"readOnlyRootFilesystem"`
		RunAsNonRoot             *bool `json:"runAsNonRoot"`
	} `json:"securityContext"`
	VolumeMounts []struct {
		Name      string `json:"name"`
		MountPath string `json:"mountPath"`
	} `json:"volumeMounts"`
}

type probe struct {
	HTTPGet *struct {
		Path string `json:"path"`
		Port string `json:"port"`
	} `json:"httpGet"`
}

// argValue is the value of --name=V or --name V in args.
func argValue(args []string, name string) (string, bool) {
	for i, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v, true
		}
		if a == "--"+name && i+1 < len(args) {
			return args[i+1], true
		}
	}
	return "", false
}

func intOrUnset(p *int) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(*p)
}

func subset(sel, labels map[string]string) bool {
	if len(sel) == 0 {
		return false
	}
	for k, v := range sel {
		if labels[k] != v {
			return false
		}
	}
	return true
}

// dockerfile is the repository's Dockerfile.
func dockerfile(t *testing.T) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(repoRoot, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func TestKubernetesManifests(t *testing.T) {
	dir := filepath.Join(repoRoot, "deploy", "kubernetes")
	var kust struct {
		Resources []string `json:"resources"`
	}
	b, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, &kust); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "*.yaml"))
	for _, f := range files {
		base := filepath.Base(f)
		if base != "kustomization.yaml" && base != "secret.example.yaml" && !slices.Contains(kust.Resources, base) {
			t.Errorf("%s is not among kustomization.yaml's resources %v", base, kust.Resources)
		}
	}
	objs := map[string]k8sObject{} // by kind
	var serviceSelector map[string]string
	for _, r := range kust.Resources {
		b, err := os.ReadFile(filepath.Join(dir, r))
		if err != nil {
			t.Fatalf("kustomization.yaml lists %s: %v", r, err)
		}
		var o k8sObject
		if err := yaml.Unmarshal(b, &o); err != nil {
			t.Fatalf("%s: %v", r, err)
		}
		if o.Kind == "" || o.APIVersion == "" || o.Metadata.Name == "" {
			t.Fatalf("%s: kind %q, apiVersion %q, name %q: each must be set", r, o.Kind, o.APIVersion, o.Metadata.Name)
		}
		if _, dup := objs[o.Kind]; dup {
			t.Fatalf("two objects of kind %s", o.Kind)
		}
		objs[o.Kind] = o
		if o.Kind == "Service" {
			var svc struct {
				Spec struct {
					Selector map[string]string `json:"selector"`
				} `json:"spec"`
			}
			if err := yaml.Unmarshal(b, &svc); err != nil {
				t.Fatal(err)
			}
			serviceSelector = svc.Spec.Selector
		}
	}
	for _, kind := range []string{"Deployment", "Service", "PodDisruptionBudget", "PersistentVolumeClaim", "Job"} {
		if _, ok := objs[kind]; !ok {
			t.Fatalf("no %s among the resources", kind)
		}
	}
	flags := serveFlags(t)

	dep := objs["Deployment"]
	if dep.Spec.Replicas == nil || *dep.Spec.Replicas != 3 {
		t.Errorf("Deployment replicas %s, want 3", intOrUnset(dep.Spec.Replicas))
	}
	podLabels := dep.Spec.Template.Metadata.Labels
	if !subset(dep.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("Deployment selector %v does not select its pods %v", dep.Spec.Selector.MatchLabels, podLabels)
	}
	if !subset(serviceSelector, podLabels) {
		t.Errorf("Service selector %v does not select the Deployment's pods %v", serviceSelector, podLabels)
	}
	pdb := objs["PodDisruptionBudget"]
	if !subset(pdb.Spec.Selector.MatchLabels, podLabels) {
		t.Errorf("PodDisruptionBudget selector %v does not select the Deployment's pods %v", pdb.Spec.Selector.MatchLabels, podLabels)
	}
	if pdb.Spec.MinAvailable == nil || *pdb.Spec.MinAvailable != 2 {
		t.Errorf("PodDisruptionBudget minAvailable %s, want 2", intOrUnset(pdb.Spec.MinAvailable))
	}
	job := objs["Job"]
	jobLabels := job.Spec.Template.Metadata.Labels
	if subset(serviceSelector, jobLabels) || subset(pdb.Spec.Selector.MatchLabels, jobLabels) || subset(dep.Spec.Selector.MatchLabels, jobLabels) {
		t.Errorf("the migration Job's pods %v are selected by the Service, the PDB or the Deployment", jobLabels)
	}
	pvc := objs["PersistentVolumeClaim"]
	if !slices.Contains(pvc.Spec.AccessModes, "ReadWriteMany") {
		t.Errorf("PVC %s access modes %v: replicas share it, it must be ReadWriteMany", pvc.Metadata.Name, pvc.Spec.AccessModes)
	}

	dockerUID := dockerfileUser(t, dockerfile(t))
	var server container
	for _, o := range []k8sObject{dep, job} {
		pod := o.Spec.Template.Spec
		where := o.Kind + " " + o.Metadata.Name
		if len(pod.Containers) != 1 {
			t.Fatalf("%s: %d containers, want 1", where, len(pod.Containers))
		}
		c := pod.Containers[0]
		if o.Kind == "Deployment" {
			server = c
		}
		if len(c.Args) == 0 || (o.Kind == "Deployment") != (c.Args[0] == "serve") || (o.Kind == "Job") != (c.Args[0] == "migrate") {
			t.Errorf("%s runs %v: the Deployment serves, the Job migrates", where, c.Args)
		}
		checkArgs(t, where, c.Args, flags)
		env := map[string]bool{}
		for _, e := range c.Env {
			checkEnvName(t, where, e.Name, flags)
			env[e.Name] = true
			switch e.Name {
			case "DATAPORT_NODE":
				if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != "metadata.name" {
					t.Errorf("%s: DATAPORT_NODE must come from the pod's name (downward API metadata.name)", where)
				}
			case "DATAPORT_DB":
				if e.ValueFrom == nil || e.ValueFrom.SecretKeyRef == nil || e.ValueFrom.SecretKeyRef.Name == "" {
					t.Errorf("%s: DATAPORT_DB must come from a Secret", where)
				}
			}
		}
		if !env["DATAPORT_NODE"] || !env["DATAPORT_DB"] {
			t.Errorf("%s: sets DATAPORT_NODE %v, DATAPORT_DB %v; both are needed", where, env["DATAPORT_NODE"], env["DATAPORT_DB"])
		}
		if sc := pod.SecurityContext; sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.RunAsUser == nil || *sc.RunAsUser == 0 {
			t.Errorf("%s: pod must run as a non-root user", where)
		} else if *sc.RunAsUser != dockerUID {
			t.Errorf("%s: runAsUser %d, the image's USER is %d", where, *sc.RunAsUser, dockerUID)
		}
		if sc := c.SecurityContext; sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
			sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation || sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot {
			t.Errorf("%s: container needs readOnlyRootFilesystem, runAsNonRoot and no privilege escalation", where)
		}
		// Every mount names a volume; --data is the shared claim; with a
		// read-only root, /tmp and --search-dir are writable volumes.
		volumes := map[string]string{} // name → "pvc:CLAIM" or "emptyDir"
		for _, v := range pod.Volumes {
			switch {
			case v.PersistentVolumeClaim != nil:
				volumes[v.Name] = "pvc:" + v.PersistentVolumeClaim.ClaimName
			case v.EmptyDir != nil:
				volumes[v.Name] = "emptyDir"
			}
		}
		mounts := map[string]string{} // path → volume kind
		for _, m := range c.VolumeMounts {
			kind, ok := volumes[m.Name]
			if !ok {
				t.Errorf("%s mounts volume %q, which the pod does not define", where, m.Name)
			}
			mounts[m.MountPath] = kind
		}
		data, ok := argValue(c.Args, "data")
		if !ok || mounts[data] != "pvc:"+pvc.Metadata.Name {
			t.Errorf("%s: --data %q must be the mount of the claim %s (mounts %v)", where, data, pvc.Metadata.Name, mounts)
		}
		if mounts["/tmp"] != "emptyDir" {
			t.Errorf("%s: read-only root filesystem but /tmp is no emptyDir (XLSX uploads unzip there)", where)
		}
		if dir, ok := argValue(c.Args, "search-dir"); !ok || !strings.HasPrefix(dir, "/") || mountKind(mounts, dir) != "emptyDir" {
			t.Errorf("%s: --search-dir %q must be on a replica-local emptyDir (mounts %v)", where, dir, mounts)
		}
	}

	// Probes: the paths answer 200 on a running server, the port is the
	// container's, and --addr listens on it on every interface.
	addr, _ := argValue(server.Args, "addr")
	host, portText, _ := strings.Cut(addr, ":")
	if host != "0.0.0.0" || len(server.Ports) != 1 || strconv.Itoa(server.Ports[0].ContainerPort) != portText {
		t.Errorf("the server listens on --addr %q; its container port is %v", addr, server.Ports)
	}
	if svc := objs["Service"]; len(svc.Spec.Ports) != 1 || len(server.Ports) != 1 || svc.Spec.Ports[0].TargetPort != server.Ports[0].Name {
		t.Errorf("Service ports %v do not target the container's port %v", svc.Spec.Ports, server.Ports)
	}
	probes := map[string]string{}
	for name, p := range map[string]*probe{"readinessProbe": server.ReadinessProbe, "livenessProbe": server.LivenessProbe, "startupProbe": server.StartupProbe} {
		if p == nil || p.HTTPGet == nil {
			t.Errorf("the server has no HTTP %s", name)
			continue
		}
		if len(server.Ports) == 1 && p.HTTPGet.Port != server.Ports[0].Name {
			t.Errorf("%s port %q is not the container's port %q", name, p.HTTPGet.Port, server.Ports[0].Name)
		}
		probes[name] = p.HTTPGet.Path
	}
	if probes["readinessProbe"] != "/readyz" || probes["livenessProbe"] != "/healthz" {
		t.Errorf("probes %v: readiness must be /readyz (the database answers), liveness /healthz", probes)
	}
	s := start(t, "serve", "--data", t.TempDir(), "--search-dir", t.TempDir())
	for name, path := range probes {
		resp, err := http.Get(s.url + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			t.Errorf("%s %s answers %d on a running server, want 200", name, path, resp.StatusCode)
		}
	}
}

// mountKind is the kind of the volume holding path (the longest mount prefix).
func mountKind(mounts map[string]string, path string) string {
	best, kind := "", ""
	for m, k := range mounts {
		if (path == m || strings.HasPrefix(path, strings.TrimSuffix(m, "/")+"/")) && len(m) > len(best) {
			best, kind = m, k
		}
	}
	return kind
}

// dockerfileUser is the numeric USER of the Dockerfile's final stage; it
// fails unless there is one and it is not root.
func dockerfileUser(t *testing.T, text string) int {
	t.Helper()
	stages := strings.Split(text, "\nFROM ")
	last := stages[len(stages)-1]
	m := regexp.MustCompile(`(?m)^USER\s+(\d+)(?::(\d+))?\s*$`).FindStringSubmatch(last)
	if m == nil {
		t.Fatalf("the Dockerfile's final stage has no numeric USER")
	}
	uid, _ := strconv.Atoi(m[1])
	if uid == 0 || m[2] == "0" {
		t.Fatalf("the Dockerfile's final stage runs as root (USER %s)", m[0])
	}
	return uid
}

// shellWords splits a RUN line into words, honouring double quotes.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	quoted, in := false, false
	for _, r := range s {
		switch {
		case r == '"':
			quoted, in = !quoted, true
		case (r == ' ' || r == '\t') && !quoted:
			if in {
				words = append(words, cur.String())
				cur.Reset()
				in = false
			}
		default:
			cur.WriteRune(r)
			in = true
		}
	}
	if in {
		words = append(words, cur.String())
	}
	return words
}

// TestDockerfileBuildsAStaticNonRootImage runs the Dockerfile's own build
// command (CGO_ENABLED=0) and checks the binary is static, the final stage's
// user is not root, the image's command passes flags that exist, the builder
// image is this module's Go version and .dockerignore keeps every package
// the binary needs in the build context.
func TestDockerfileBuildsAStaticNonRootImage(t *testing.T) {
	text := dockerfile(t)
	dockerfileUser(t, text)
	gomod, err := os.ReadFile(filepath.Join(repoRoot, "go.mod"))
	if err != nil {
		t.Fatal(err)
	}
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindSubmatch(gomod)
	if goVersion == nil || !strings.Contains(text, "FROM golang:"+string(goVersion[1])+" AS build") {
		t.Errorf("the Dockerfile's builder is not golang:%s (go.mod's Go)", goVersion[1])
	}

	cmdLine := regexp.MustCompile(`(?m)^CMD (\[.*\])$`).FindStringSubmatch(text)
	if cmdLine == nil {
		t.Fatal("the Dockerfile has no CMD [...]")
	}
	var cmd []string
	if err := yaml.Unmarshal([]byte(cmdLine[1]), &cmd); err != nil || len(cmd) == 0 || cmd[0] != "serve" {
		t.Fatalf("CMD %s: %v", cmdLine[1], err)
	}
	checkArgs(t, "the Dockerfile's CMD", cmd, serveFlags(t))
	data, _ := argValue(cmd, "data")
	addr, _ := argValue(cmd, "addr")
	if !regexp.MustCompile(`(?m)^VOLUME ` + regexp.QuoteMeta(data) + `$`).MatchString(text) {
		t.Errorf("CMD's --data %q is not the image's VOLUME", data)
	}
	if _, port, _ := strings.Cut(addr, ":"); !regexp.MustCompile(`(?m)^EXPOSE ` + port + `$`).MatchString(text) {
		t.Errorf("CMD's --addr %q: its port is not EXPOSEd", addr)
	}

	run := regexp.MustCompile(`(?m)^RUN (CGO_ENABLED=0 go build .*)$`).FindStringSubmatch(text)
	if run == nil {
		t.Fatal("the Dockerfile has no `RUN CGO_ENABLED=0 go build ...`")
	}
	words := shellWords(strings.ReplaceAll(run[1], "${VERSION}", "deploy-test"))
	out := filepath.Join(t.TempDir(), "dataport")
	for i, w := range words {
		if w == "-o" && i+1 < len(words) {
			words[i+1] = out
		}
	}
	build := exec.Command(words[1], words[2:]...)
	build.Dir = repoRoot
	build.Env = append(os.Environ(), words[0])
	if b, err := build.CombinedOutput(); err != nil {
		t.Fatalf("%s: %v\n%s", run[1], err, b)
	}
	f, err := elf.Open(out)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			t.Errorf("the image's binary has a dynamic loader: not static")
		}
	}
	if libs, _ := f.ImportedLibraries(); len(libs) > 0 {
		t.Errorf("the image's binary links %v: not static", libs)
	}
	if v, err := exec.Command(out, "version").Output(); err != nil || !strings.Contains(string(v), "deploy-test") {
		t.Errorf("the image's binary says %q (%v), want its build's VERSION", v, err)
	}

	// .dockerignore must not leave out a package of the binary.
	ignore, err := os.ReadFile(filepath.Join(repoRoot, ".dockerignore"))
	if err != nil {
		t.Fatal(err)
	}
	list := exec.Command("go", "list", "-deps", "-f", "{{if not .Standard}}{{.Dir}}{{end}}", "./cmd/dataport")
	list.Dir = repoRoot
	pkgs, err := list.Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	root, _ := filepath.Abs(repoRoot)
	for _, dir := range strings.Fields(string(pkgs)) {
		rel, err := filepath.Rel(root, dir)
		if err != nil || strings.HasPrefix(rel, "..") {
			continue // a module dependency, downloaded in the image
		}
		for _, line := range strings.Split(string(ignore), "\n") {
			pat := strings.TrimSpace(line)
			if pat == "" || strings.HasPrefix(pat, "#") || strings.ContainsAny(pat, "*?[!") {
				continue
			}
			if rel == pat || strings.HasPrefix(rel, pat+"/") {
				t.Errorf(".dockerignore's %q leaves out %s, a package of the binary", pat, rel)
			}
		}
	}
	if _, err := exec.LookPath("docker"); err == nil {
		if exec.Command("docker", "info").Run() != nil {
			t.Log("docker is installed but no daemon answers: the image itself is not built here")
		}
	} else {
		t.Log("no docker: the image itself is not built here")
	}
}

// TestSystemdUnit checks deploy/systemd: ExecStart's flags exist, the data
// directory is the only writable path, the hardening is on, and the
// environment file's DATAPORT_* names are flags.
func TestSystemdUnit(t *testing.T) {
	b, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "systemd", "dataport.service"))
	if err != nil {
		t.Fatal(err)
	}
	keys := map[string][]string{}
	section := ""
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		if strings.HasPrefix(line, "[") {
			section = strings.Trim(line, "[]")
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			t.Fatalf("dataport.service: %q is no KEY=VALUE", line)
		}
		keys[section+"."+k] = append(keys[section+"."+k], v)
	}
	flags := serveFlags(t)
	execStart := keys["Service.ExecStart"]
	if len(execStart) != 1 {
		t.Fatalf("ExecStart %v, want one", execStart)
	}
	args := strings.Fields(execStart[0])
	if len(args) < 2 || args[0] != "/usr/local/bin/dataport" || args[1] != "serve" {
		t.Fatalf("ExecStart %q, want /usr/local/bin/dataport serve ...", execStart[0])
	}
	checkArgs(t, "ExecStart", args, flags)
	data, _ := argValue(args, "data")
	if rw := keys["Service.ReadWritePaths"]; len(rw) != 1 || rw[0] != data {
		t.Errorf("ReadWritePaths %v, want only --data %q", rw, data)
	}
	if sd := keys["Service.StateDirectory"]; len(sd) != 1 || "/var/lib/"+sd[0] != data {
		t.Errorf("StateDirectory %v does not make --data %q", sd, data)
	}
	for k, want := range map[string]string{
		"NoNewPrivileges": "yes", "ProtectSystem": "strict", "ProtectHome": "yes", "PrivateTmp": "yes",
		"PrivateDevices": "yes", "CapabilityBoundingSet": "", "RestrictSUIDSGID": "yes",
	} {
		if v := keys["Service."+k]; len(v) != 1 || v[0] != want {
			t.Errorf("%s=%v, want %q", k, v, want)
		}
	}
	if keys["Service.DynamicUser"] == nil && keys["Service.User"] == nil {
		t.Errorf("the unit runs as root: set DynamicUser= or User=")
	}
	envFile := keys["Service.EnvironmentFile"]
	if len(envFile) != 1 || !strings.HasSuffix(envFile[0], "/dataport.env") {
		t.Fatalf("EnvironmentFile %v, want .../dataport.env", envFile)
	}
	env, err := os.ReadFile(filepath.Join(repoRoot, "deploy", "systemd", "dataport.env"))
	if err != nil {
		t.Fatal(err)
	}
	set := map[string]bool{}
	for _, m := range regexp.MustCompile(`(?m)^#?(DATAPORT_[A-Z_]+)=`).FindAllStringSubmatch(string(env), -1) {
		// DATAPORT_LISTEN is the unit's own (ExecStart's --addr); the SMTP
		// password is read by the binary from the environment only.
		checkEnvName(t, "dataport.env", m[1], flags, "DATAPORT_LISTEN", "DATAPORT_SMTP_PASSWORD")
		set[m[1]] = true
	}
	for _, m := range regexp.MustCompile(`\$\{(\w+)\}`).FindAllStringSubmatch(execStart[0], -1) {
		if !regexp.MustCompile(`(?m)^` + m[1] + `=\S`).Match(env) {
			t.Errorf("ExecStart uses ${%s}, which dataport.env does not set", m[1])
		}
	}
	if !set["DATAPORT_NODE"] || !set["DATAPORT_DB"] {
		t.Errorf("dataport.env shows no DATAPORT_NODE or DATAPORT_DB (replicas need both)")
	}
}
