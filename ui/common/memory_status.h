// MemoryStatus: the status bar's "Models: 2 · 310 MB of 8.0 GB", what the engine's model cache
// holds against the memory for models; its tooltip lists each model, dtype, device and size.
#pragma once

#include <QLabel>

class EngineBridge;

class MemoryStatus : public QLabel {
    Q_OBJECT
public:
    explicit MemoryStatus(EngineBridge *bridge, QWidget *parent = nullptr);

    void refresh(); // reads the cache's status now (modelsChanged calls it)

protected:
    void changeEvent(QEvent *event) override;

private:
    EngineBridge *m_bridge;
};
